"""The customer's own pages (/my/): one-time sign-in codes, the accounts a phone number
has proved it may see, and the customer's rating of a resolved case."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SignInCode(models.Model):
    """A code texted to a phone number. Only its keyed digest is stored; it expires, allows
    a few attempts and is used once. The rows are also the send counters (per number and
    per address), so the limits hold across processes."""

    phone = models.CharField(_("phone"), max_length=20)
    digest = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [
            models.Index(fields=["phone", "created_at"]),
            models.Index(fields=["ip_address", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.created_at:%Y-%m-%d %H:%M}"


class Binding(models.Model):
    """A phone number that proved it may see one customer account (account number with the
    name, or with the last bill's amount). Numbers change hands: a binding not used for
    SELFSERVICE_BINDING_IDLE_DAYS needs its proof again (docs/selfservice.md)."""

    class Proof(models.TextChoices):
        NAME = "name", _("Account holder's name")
        BILL = "bill", _("Last bill's amount")
        # The number alone, because the account's record lists it. No page binds this way
        # today; such a binding lasts only while the record still lists the number.
        PHONE = "phone", _("Number on the account's record")

    phone = models.CharField(_("phone"), max_length=20)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("customer"),
    )
    proof = models.CharField(_("proof"), max_length=8, choices=Proof.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The number last signed in with this binding in place.
    last_used_at = models.DateTimeField(_("last used at"), default=timezone.now)

    class Meta:
        verbose_name = _("bound account")
        verbose_name_plural = _("bound accounts")
        constraints = [
            models.UniqueConstraint(fields=["phone", "customer"], name="selfservice_binding_once")
        ]
        indexes = [models.Index(fields=["last_used_at"])]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} → {self.customer_id}"


# Proofs that are only the number itself: they hold while the account's record lists it.
PHONE_ONLY_PROOFS = {Binding.Proof.PHONE}


class BindFailure(models.Model):
    """A failed proof: counted per phone number, per account number and per address, so
    account numbers cannot be tried out nor one account's proof guessed from many numbers."""

    phone = models.CharField(_("phone"), max_length=20)
    account_no = models.CharField(_("account number"), max_length=32, blank=True, default="")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("failed binding")
        verbose_name_plural = _("failed bindings")
        indexes = [
            models.Index(fields=["phone", "at"]),
            models.Index(fields=["account_no", "at"]),
            models.Index(fields=["ip_address", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]} {self.at:%Y-%m-%d %H:%M}"


class Gate(models.Model):
    """One row per limited thing ("code:<phone>", "bind:<account>", "ip:<address>"): a
    request locks its rows before it counts and inserts, so parallel requests wait for
    each other and a limit holds exactly."""

    key = models.CharField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.key


class Rating(models.Model):
    """The customer's word on a resolved case, from the case page."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    phone = models.CharField(_("phone"), max_length=20)
    outcome = models.CharField(_("outcome"), max_length=16)
    comment = models.TextField(_("comment"), blank=True)
    reopened = models.BooleanField(_("reopened"), default=False)
    # The resolution rated: a reopened and again resolved case may be rated again.
    resolved_at = models.DateTimeField(_("resolved at"))
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer rating")
        verbose_name_plural = _("customer ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "resolved_at"], name="selfservice_rating_once_per_resolution"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.outcome}"


PHOTO_FOLDER = "selfservice-photos"


class Photo(models.Model):
    """A photo the household attached to its report, re-encoded as JPEG (no metadata kept:
    a phone's photo carries where it was taken). Served only through the media check."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case")
    )
    file = models.FileField(_("file"), upload_to=f"{PHOTO_FOLDER}/%Y/%m/", max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self) -> str:
        return self.file.name or ""
