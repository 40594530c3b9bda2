from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Follower(models.Model):
    """A WeChat user who wrote to or followed the official account. Linked to a household
    (docs/wechat.md, "Followers and customers"): ``phone`` is the number signed in to /my/,
    ``customers`` the accounts it had bound (WeChat notices of those go to this follower)
    and ``customer`` the first of them, whose contacts the follower's texts become."""

    openid = models.CharField(_("OpenID"), max_length=64, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="wechat_followers",
        verbose_name=_("customer"),
    )
    customers = models.ManyToManyField(
        "customers.Customer",
        blank=True,
        related_name="wechat_subscribers",
        verbose_name=_("customers notified by WeChat"),
    )
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    subscribed = models.BooleanField(_("following"), default=False)
    subscribed_at = models.DateTimeField(_("followed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unfollowed at"), null=True, blank=True)
    # The follower's last message: an agent may answer by customer-service message within
    # 48 hours of it.
    last_message_at = models.DateTimeField(_("last message at"), null=True, blank=True)

    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WeChat follower")
        verbose_name_plural = _("WeChat followers")
        indexes = [
            models.Index(fields=["phone"], condition=~models.Q(phone=""), name="wechat_linked")
        ]

    def __str__(self) -> str:
        return self.openid


class InboundMessage(models.Model):
    """A message or event the account received, once: WeChat sends it again when no answer
    came within 5 seconds, and ``key`` (the MsgId, or sender, time and event) refuses the
    repetition."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text message")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other message")

    key = models.CharField(max_length=160, unique=True)
    follower = models.ForeignKey(
        Follower, on_delete=models.CASCADE, related_name="messages", verbose_name=_("follower")
    )
    type = models.CharField(_("type"), max_length=8, choices=Type.choices)
    content = models.TextField(_("content"), blank=True)
    event = models.CharField(_("event"), max_length=32, blank=True)
    event_key = models.CharField(_("event key"), max_length=256, blank=True)
    sent_at = models.DateTimeField(_("sent at"))
    received_at = models.DateTimeField(_("received at"))
    # Set when an agent answered: the contact recorded with the answer.
    contact = models.ForeignKey(
        "cases.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    answered_at = models.DateTimeField(_("answer sent at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )

    class Meta:
        verbose_name = _("WeChat message")
        verbose_name_plural = _("WeChat messages")
        ordering = ["received_at"]
        indexes = [
            models.Index(
                fields=["follower", "received_at"],
                condition=models.Q(type="text", answered_at__isnull=True),
                name="wechat_waiting",
            )
        ]

    def __str__(self) -> str:
        return self.key
