from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LoginFailure(models.Model):
    """A failed sign-in, kept to slow down password guessing."""

    username = models.CharField(_("user name"), max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


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
