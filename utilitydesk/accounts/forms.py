from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from . import services

LOCKED_MESSAGE = _("Too many failed sign-ins. Wait %(minutes)d minutes or ask an administrator.")


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


class LockoutMessageMixin:
    """The lockout itself is in the authentication backend; a refused sign-in says so when
    it was refused because of the lockout."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            username = self.cleaned_data.get("username") or ""
            lockout = username and services.lockout_for(username, client_ip(self.request))
            if lockout:
                raise forms.ValidationError(
                    LOCKED_MESSAGE, code="locked", params={"minutes": lockout.minutes()}
                ) from None
            raise


class ThrottledAuthenticationForm(LockoutMessageMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LockoutMessageMixin, AdminAuthenticationForm):
    pass
