from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from . import services
from .models import CalendarDay, CalendarYear, EscalationLevel, LimitRule, PolicyVersion


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == PolicyVersion.Status.DRAFT

    has_add_permission = has_delete_permission = has_change_permission


class LimitInline(DraftOnlyInline):
    model = LimitRule


class EscalationInline(DraftOnlyInline):
    model = EscalationLevel


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Drafts are edited here; publishing goes through the service (immutable afterwards)."""

    list_display = ("number", "status", "note", "published_at", "published_by")
    readonly_fields = (
        "number",
        "status",
        "created_by",
        "created_at",
        "published_by",
        "published_at",
    )
    inlines = [LimitInline, EscalationInline]
    actions = ["publish_selected", "copy_to_draft"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == PolicyVersion.Status.DRAFT

    def has_delete_permission(self, request, obj=None):
        return obj is not None and obj.status == PolicyVersion.Status.DRAFT

    @admin.action(description="发布所选草稿")
    def publish_selected(self, request, queryset):
        for policy in queryset:
            try:
                services.publish(request.user, policy.pk)
            except ValidationError as exc:
                self.message_user(
                    request, f"v{policy.number}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                self.message_user(request, f"v{policy.number} 已发布")

    @admin.action(description="复制为新草稿")
    def copy_to_draft(self, request, queryset):
        for policy in queryset:
            draft = services.new_draft(request.user, policy)
            self.message_user(request, f"v{draft.number} 草稿已创建")


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "loaded_at", "loaded_by")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
