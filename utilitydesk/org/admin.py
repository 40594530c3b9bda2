from django.contrib import admin

from . import services
from .models import Assignment, OrgUnit


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "function", "parent", "is_active")
    list_filter = ("kind", "function", "is_active")
    search_fields = ("code", "name")
    inlines = [AssignmentInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for assignment in formset.queryset.model.objects.filter(unit=form.instance):
            services.sync_user_groups(assignment.user)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "position", "is_active")
    list_filter = ("position", "is_active")
    search_fields = ("user__username", "user__first_name", "user__last_name", "unit__name")
    autocomplete_fields = ("user", "unit")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.sync_user_groups(obj.user)
