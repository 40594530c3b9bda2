from django.contrib import admin

from .models import Follower, InboundMessage


@admin.register(Follower)
class FollowerAdmin(admin.ModelAdmin):
    list_display = ("openid", "customer", "subscribed", "subscribed_at", "last_message_at")
    list_filter = ("subscribed",)
    search_fields = ("openid",)
    raw_id_fields = ("customer",)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """What the account received, as a log: written by the server URL only."""

    list_display = ("received_at", "follower", "type", "event", "answered_at", "answered_by")
    list_filter = ("type", "event")
    raw_id_fields = ("follower", "contact", "answered_by")

    def has_add_permission(self, request, obj=None) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # noqa: ARG002
        return False
