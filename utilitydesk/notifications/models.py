from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .checks import check_template_text


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class Message(models.Model):
    """Every message sent to staff or customers, with its delivery status."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        # Claimed by a delivery run (``lease_expires_at``); see notifications/delivery.py.
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        # The provider's status report confirmed the handset received it.
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    class Report(models.TextChoices):
        """The provider's status report for the message (its callback)."""

        NONE = "", _("No report yet")
        SUCCESS = "success", _("Received")
        FAIL = "fail", _("Not received")

    class Handling(models.TextChoices):
        """What an agent did about a failed customer notice (the failed-delivery list)."""

        NONE = "", _("Open")
        RETRIED = "retried", _("Sent again")
        REACHED_BY_PHONE = "phoned", _("Reached by phone")

    class Kind(models.TextChoices):
        # Notices that belong to whoever holds a case: withdrawn when it moves on.
        DEADLINE_WARNING = "deadline_warning", _("Deadline warning")
        DEADLINE_OVERDUE = "deadline_overdue", _("Deadline overdue")

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("recipient"),
    )
    address = models.CharField(_("address"), max_length=64, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=200, blank=True)
    # What the message is about ("case:GD…", "fault:…"), and a key that makes sending idempotent.
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=128, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    # The staff member who sent a text to a customer (daily limits per person, R-105).
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
        db_index=False,  # the (sent_by, created_at) index starts with it
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Withdrawn: the case was resolved, sent elsewhere or given to someone else. Kept, shown
    # as withdrawn, no longer counted as unread.
    obsolete_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    # --- Customer notices (notifications/notices.py, delivery.py) -------------------------
    # The customer the notice went to (no foreign key: notifications sits below customers).
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    # The notice template and its values: the provider sends template + values, and one
    # request carries up to 200 numbers sharing both.
    template_code = models.CharField(_("notice template"), max_length=40, blank=True)
    params = models.JSONField(_("template values"), default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # A delivery run holds the message until then; the provider is called only after the
    # claim is committed, and ``submitted_at`` is written just before the call.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("handed to the provider at"), null=True, blank=True)
    provider = models.CharField(_("provider"), max_length=20, blank=True)
    provider_id = models.CharField(_("provider serial number"), max_length=64, blank=True)
    # Which delivery run holds the message (a claim is taken by a conditional update, so
    # two runs never hold one message, also on SQLite where rows are not locked).
    claim_token = models.CharField(max_length=32, blank=True)
    # The provider's (or our) code for the last failure, e.g. InvalidParameterValue.IncorrectPhoneNumber.
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    report_status = models.CharField(
        _("status report"), max_length=10, choices=Report.choices, blank=True
    )
    delivered_at = models.DateTimeField(_("received at"), null=True, blank=True)
    handling = models.CharField(_("handling"), max_length=10, choices=Handling.choices, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    handling_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"]),
            models.Index(fields=["sent_by", "created_at"]),
            # The customer 360's contact history finds the texts sent to a customer's numbers.
            models.Index(fields=["address", "created_at"], name="message_address_created"),
            # Delivery runs claim what is due; the failed list and status counts by reference.
            models.Index(fields=["status", "next_attempt_at"], name="message_status_due"),
            models.Index(fields=["reference", "status"], name="message_reference_status"),
            # Status reports find their message by the provider's serial number.
            models.Index(
                fields=["provider_id"],
                name="message_provider_id",
                condition=~models.Q(provider_id=""),
            ),
        ]
        permissions = [
            ("work_failed_notices", _("Can work through failed customer notices")),
        ]

    def __str__(self) -> str:
        return (
            f"{self.channel} → {self.recipient or self.address}: {self.subject or self.body[:30]}"
        )


class NoticeTemplate(models.Model):
    """A notice text approved with the provider: ``{name}`` placeholders, filled in order
    of first appearance (the provider's template numbers them {1}, {2}, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.SMS
    )
    # The template id the provider approved (Tencent: TemplateId; WeChat: template_id).
    provider_template_id = models.CharField(_("provider template id"), max_length=64, blank=True)
    text = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    def save(self, *args, **kwargs) -> None:
        self.clean()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        check_template_text(self.text)


class RateBucket(models.Model):
    """A token bucket per provider (messages per second), shared by every worker."""

    provider = models.CharField(max_length=20, primary_key=True)
    tokens = models.FloatField(default=0.0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.provider}: {self.tokens:.1f}"
