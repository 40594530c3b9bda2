"""The 12345 exchange's records (docs/exchange-12345.md): each order the platform transferred
(once per platform order number), each message we owe the platform (with its delivery
state), each event the platform sent about an order (once per event id), and the link's
health."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Order(models.Model):
    """An order (工单) the 12345 platform transferred to us, and the case carrying it."""

    class State(models.TextChoices):
        # The state of an order, not the time a contact was received (same English word).
        RECEIVED = "received", pgettext_lazy("12345 order state", "Received")
        SIGNED = "signed", _("Signed for")
        RETURNED = "returned", _("Returned to the platform")
        ANSWERED = "answered", _("Answered")

    order_no = models.CharField(_("12345 order number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16)
    title = models.CharField(_("title"), max_length=200, blank=True)
    content = models.TextField(_("content"))
    caller_name = models.CharField(_("caller name"), max_length=100, blank=True)
    caller_phone = models.CharField(_("caller phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    transferred_at = models.DateTimeField(_("transferred at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    payload = models.JSONField(_("as received"), default=dict)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="gov_orders",
        verbose_name=_("case"),
    )
    # False: the order joined a case the customer already had open (duplicate check).
    opened_case = models.BooleanField(_("opened its case"), default=True)
    # The unit answering for the order: the case's when it came, the resolving one later.
    unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.RECEIVED
    )
    sign_due_at = models.DateTimeField(_("sign for by"))
    answer_due_at = models.DateTimeField(_("answer by"))
    provisional_due = models.BooleanField(_("answer limit provisional"), default=False)
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("case resolved at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answer delivered at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("why it was returned"), blank=True)
    extension_days = models.PositiveSmallIntegerField(_("extension granted (days)"), default=0)
    urge_count = models.PositiveSmallIntegerField(_("urges"), default=0)
    last_urged_at = models.DateTimeField(_("last urged at"), null=True, blank=True)
    verdict = models.CharField(_("platform's verdict"), max_length=20, blank=True)
    verdict_note = models.TextField(_("verdict note"), blank=True)
    verdict_at = models.DateTimeField(_("verdict at"), null=True, blank=True)

    class Meta:
        verbose_name = _("12345 order")
        verbose_name_plural = _("12345 orders")
        ordering = ["-transferred_at"]
        indexes = [models.Index(fields=["transferred_at"]), models.Index(fields=["state"])]
        # The exchange page's own rights (docs/exchange-12345.md); the model's view_* rights
        # are the read-only admin's.
        permissions = [
            ("view_exchange", _("Can see the 12345 exchange page")),
            (
                "act_on_exchange",
                _("Can return 12345 orders, ask for extensions and send messages again"),
            ),
        ]

    def __str__(self) -> str:
        return self.order_no


class Outbound(models.Model):
    """A message we owe the platform. Never silent: it is pending until the platform
    acknowledged it (sent), failed while retries remain, dead after the last one (an agent
    sends it again from the exchange page)."""

    class Kind(models.TextChoices):
        SIGN = "sign", _("Sign for the order")
        RETURN = "return", _("Return the order")
        EXTENSION = "extension", _("Ask for an extension")
        RESULT = "result", _("Push the result")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Acknowledged")
        FAILED = "failed", _("Failed, retrying")
        DEAD = "dead", _("Failed, retries used up")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="outbound")
    kind = models.CharField(_("message"), max_length=10, choices=Kind.choices)
    # Our message id: the platform treats a repeat as the same message (docs).
    message_id = models.CharField(_("message id"), max_length=64, unique=True)
    body = models.JSONField(_("body"), default=dict)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent again by"),
    )

    class Meta:
        verbose_name = _("12345 outbound message")
        verbose_name_plural = _("12345 outbound messages")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "failed"]),
                name="exchange_outbound_due",
            ),
            models.Index(fields=["state", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.state}"


class Inbound(models.Model):
    """An event the platform sent about an order (urge, verdict, extension decision),
    recorded once per the platform's event id."""

    class Kind(models.TextChoices):
        URGE = "urge", _("Urge")
        VERDICT = "verdict", _("Verdict")
        EXTENSION = "extension", _("Extension decision")

    event_id = models.CharField(_("event id"), max_length=64, unique=True)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="inbound")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    payload = models.JSONField(_("as received"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("12345 event")
        verbose_name_plural = _("12345 events")
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.event_id


class Link(models.Model):
    """The exchange's health, one row: consecutive failures, the last success, when the
    service office was last alerted."""

    name = models.CharField(max_length=20, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
