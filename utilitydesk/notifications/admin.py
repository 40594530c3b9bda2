from django.contrib import admin

from .models import Message


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
    search_fields = ("address", "subject", "reference")
