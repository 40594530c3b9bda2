from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "utilitydesk.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib import admin

        from .backends import watch_permissions

        watch_permissions()

        from .forms import ThrottledAdminAuthenticationForm

        # The lockout itself applies to the admin through the authentication backend;
        # this form makes the admin say so.
        admin.site.login_form = ThrottledAdminAuthenticationForm
        from django.apps import apps

        if apps.is_installed("rest_framework.authtoken"):
            # DRF's own token table is no longer read (keys in clear text, never expiring).
            from rest_framework.authtoken.admin import TokenProxy

            if admin.site.is_registered(TokenProxy):
                admin.site.unregister(TokenProxy)
