from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model

from . import services
from .models import ApiToken, KnownAddress, LoginFailure

User = get_user_model()


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Deleting a name's rows here lifts its lockout."""

    list_display = ("username", "ip_address", "at")
    search_fields = ("username", "ip_address")
    readonly_fields = ("username", "ip_address", "at")

    def has_add_permission(self, request):
        return False


@admin.register(KnownAddress)
class KnownAddressAdmin(admin.ModelAdmin):
    list_display = ("username", "ip_address", "last_sign_in_at")
    search_fields = ("username", "ip_address")
    readonly_fields = ("username", "ip_address", "last_sign_in_at")

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be looked at and revoked (deleted); keys are never stored or shown."""

    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "created_from")
    list_select_related = ("user",)
    search_fields = ("user__username", "prefix")
    exclude = ("key_hash", "fingerprint")
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "last_used_at", "created_from")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Deactivating someone revokes their API tokens, so that reactivating them later does
    not bring old tokens back. (A password change needs nothing here: the tokens are bound
    to the password hash.)"""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            services.revoke_all_tokens(obj)
