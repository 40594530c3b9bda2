from django.contrib import admin

from .models import Message, NoticeTemplate


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "address",
        "subject",
        "status",
        "kind",
        "obsolete_at",
    )
    list_filter = ("channel", "status", "kind")
    search_fields = ("address", "subject", "reference", "provider_id")


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin):
    """Notice texts: the provider's template id is entered once the provider approved the
    text; saving checks the text for forbidden phrases (R-205)."""

    list_display = ("code", "name", "channel", "provider_template_id", "is_active", "updated_at")
    list_filter = ("channel", "is_active")
    search_fields = ("code", "name", "text")
