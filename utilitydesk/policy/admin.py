from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import CalendarDay, CalendarYear, EscalationLevel, LimitRule, PolicyVersion


def _is_draft(obj) -> bool:
    return obj is None or obj.status == PolicyVersion.Status.DRAFT


class DraftOnlyInline(admin.TabularInline):
    """Limits and escalation levels change with their draft only, and only for people
    with the model permission (the service office may look, not edit)."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and _is_draft(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and _is_draft(obj)


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
        return super().has_change_permission(request, obj) and _is_draft(obj)

    def has_delete_permission(self, request, obj=None):
        return (
            super().has_delete_permission(request, obj)
            and obj is not None
            and obj.status == PolicyVersion.Status.DRAFT
        )

    def has_publish_permission(self, request):
        return request.user.has_perm("sla.publish_policy")

    def has_copy_permission(self, request):
        return request.user.has_perm("sla.add_policyversion")

    @admin.action(description=gettext_lazy("Publish the selected drafts"), permissions=["publish"])
    def publish_selected(self, request, queryset):
        for policy in queryset:
            try:
                services.publish(policy.pk, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"v{policy.number}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                self.message_user(request, _("v%(n)d published.") % {"n": policy.number})

    @admin.action(description=gettext_lazy("Copy to a new draft"), permissions=["copy"])
    def copy_to_draft(self, request, queryset):
        for policy in queryset:
            draft = services.new_draft(policy, actor=request.user)
            self.message_user(request, _("Draft v%(n)d created.") % {"n": draft.number})


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "source", "loaded_at", "loaded_by")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
