from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """A failed sign-in (web, admin or API token), kept to slow down password guessing."""

    # Stored lower-cased: "Agent" and "agent" are one name to the lockout.
    username = models.CharField(_("user name"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["username", "ip_address", "-at"], name="loginfailure_name_addr"),
            models.Index(fields=["ip_address", "-at"], name="loginfailure_addr"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class KnownAddress(models.Model):
    """An address a user name signed in from successfully: guesses made elsewhere do not lock
    the name out here, and a busy address does not lock out the people who work behind it."""

    username = models.CharField(_("user name"), max_length=150)
    ip_address = models.GenericIPAddressField(_("IP address"))
    last_sign_in_at = models.DateTimeField(_("last sign-in"), default=timezone.now)

    class Meta:
        verbose_name = _("known sign-in address")
        verbose_name_plural = _("known sign-in addresses")
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"], name="knownaddress_unique")
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.ip_address}"


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`. Only a hash of the key is stored; the key
    works until it expires, is revoked, or its owner's password or active flag changes
    (the fingerprint no longer matches)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("key begins with"), max_length=8)
    fingerprint = models.CharField(_("owner fingerprint"), max_length=64)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_from = models.GenericIPAddressField(_("issued to address"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class Profile(models.Model):
    """What the system needs to know about a staff member beyond the login."""

    user = models.OneToOneField(
        "auth.User", on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.user.get_username()
