from django.contrib import admin

from .models import AccessLog, ChangeRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ("at", "content_type", "object_id", "field", "old_value", "new_value", "actor")
    list_filter = ("content_type", "source")
    date_hierarchy = "at"


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "customer", "ip_address")
    list_filter = ("action",)
    raw_id_fields = ("customer",)
    date_hierarchy = "at"
