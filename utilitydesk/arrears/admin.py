"""The arrears policy in the admin: a new draft is copied from the published version and
edited (steps inline), then published (the previous version retires); a published or
retired version is read-only; a record keeps the version it was opened under."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import services
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
    readonly_fields = ["number", "status", "created_at", "published_at"]
    actions = ["new_draft", "publish"]

    def has_add_permission(self, request):
        return False  # a draft is copied from the published version (action)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != PolicyStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(description=_("New draft from the published version"))
    def new_draft(self, request, queryset):
        try:
            draft = services.new_policy_draft(actor=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("Draft v%(n)s.") % {"n": draft.number})

    @admin.action(description=_("Publish the selected draft"))
    def publish(self, request, queryset):
        for policy in queryset:
            try:
                services.publish_policy(policy.pk, actor=request.user)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR
                )
            else:
                self.message_user(request, _("Published v%(n)s.") % {"n": policy.number})
