from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class Message(models.Model):
    """Every message sent to staff or customers, with its delivery status."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

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

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "channel", "read_at"]),
            models.Index(fields=["sent_by", "created_at"]),
            # The customer 360's contact history finds the texts sent to a customer's numbers.
            models.Index(fields=["address", "created_at"], name="message_address_created"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.channel} → {self.recipient or self.address}: {self.subject or self.body[:30]}"
        )
