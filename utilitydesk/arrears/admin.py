"""The arrears policy in the admin: drafts are edited (steps inline); a published version is
read-only, a record keeps the version it was opened under."""

from django.contrib import admin

from .models import ArrearsPolicy, PathStep, PolicyStatus


class StepInline(admin.TabularInline):
    model = PathStep
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == PolicyStatus.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(ArrearsPolicy)
class ArrearsPolicyAdmin(admin.ModelAdmin):
    list_display = ["number", "status", "note", "application_close_days", "restore_hours"]
    inlines = [StepInline]
    readonly_fields = ["status", "published_at"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != PolicyStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)
