from django.contrib import admin

from . import services
from .models import Customer, CustomerPhone, EntryError, GradeChangeRequest, ImportJob, Premises
from .services import CUSTOMER_FIELDS


class PhoneInline(admin.TabularInline):
    model = CustomerPhone
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("account_no", "name", "customer_type", "grade", "special_care")
    list_filter = ("customer_type", "grade", "special_care")
    search_fields = ("account_no", "name")
    readonly_fields = ("grade", "created_at", "created_by", "updated_at", "updated_by")
    inlines = [PhoneInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = obj.updated_by = request.user
            super().save_model(request, obj, form, change)
            return
        # Edits made here go through the same service (and change history) as every other.
        changes = {f: form.cleaned_data[f] for f in CUSTOMER_FIELDS if f in form.cleaned_data}
        services.update_customer(request.user, obj.pk, changes, source="admin")
        obj.refresh_from_db()


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ("address_text", "customer", "station", "heated_area", "status")
    list_filter = ("station", "status")
    search_fields = ("address_text", "customer__account_no")
    raw_id_fields = ("customer", "building")
    readonly_fields = ("station", "address_text")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(GradeChangeRequest)
class GradeChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("customer", "from_grade", "to_grade", "status", "requested_by", "decided_by")
    list_filter = ("status",)
    raw_id_fields = ("customer",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EntryError)
class EntryErrorAdmin(admin.ModelAdmin):
    list_display = ("noted_at", "clerk", "kind", "field", "customer", "noted_by")
    list_filter = ("kind",)
    raw_id_fields = ("customer",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("original_name", "status", "total_rows", "created_by", "created_at")
    readonly_fields = ("report",)
