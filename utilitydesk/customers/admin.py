from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from utilitydesk.audit.models import AccessLog
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.masking import can_see_full_phone, phone_for

from . import services
from .models import Customer, EntryError, GradeChangeRequest, ImportJob, Premises
from .services import CUSTOMER_FIELDS


class CustomerAdminForm(forms.ModelForm):
    """Phones are edited as one field and saved through ``update_customer``: the same
    validation and change history as the customer page (no inline that bypasses both)."""

    phones = forms.CharField(
        label=_("Phone numbers"),
        help_text=_("Several numbers separated by ; or ,"),
        max_length=500,
    )

    class Meta:
        model = Customer
        fields = ("account_no", "name", "customer_type", "special_care", "notes")

    viewer = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            numbers = [p.number for p in self.instance.phones.all()]
            self.fields["phones"].initial = ";".join(phone_for(self.viewer, n) for n in numbers)
            if not can_see_full_phone(self.viewer):
                self.fields["phones"].disabled = True
                self.fields["phones"].required = False

    def clean_phones(self):
        if self.fields["phones"].disabled:
            return None
        try:
            return services.clean_phone_list(self.cleaned_data["phones"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict.get("phones", exc.messages)) from exc


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ("account_no", "name", "customer_type", "grade", "special_care")
    list_filter = ("customer_type", "grade", "special_care")
    search_fields = ("account_no", "name")
    readonly_fields = (
        "account_no",
        "grade",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
    )

    def has_add_permission(self, request):
        # New customers come from the customer page or an import, which create premises too.
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"viewer": request.user})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "GET":
            record_access(request.user, AccessLog.Action.VIEW, [obj], request=request)
        return obj

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        record_access(request.user, AccessLog.Action.LIST, changelist.result_list, request=request)
        return changelist

    def save_model(self, request, obj, form, change):
        # Edits made here go through the same service (and change history) as every other.
        changes = {f: form.cleaned_data[f] for f in CUSTOMER_FIELDS if f in form.cleaned_data}
        if form.cleaned_data.get("phones") is not None:
            changes["phones"] = form.cleaned_data["phones"]
        services.update_customer(obj.pk, changes, actor=request.user, source="admin")
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        """Nothing else to save: phones were saved by ``update_customer``."""


@admin.register(Premises)
class PremisesAdmin(admin.ModelAdmin):
    list_display = ("address_text", "customer", "station", "heated_area", "status")
    list_filter = ("station", "status")
    search_fields = ("address_text", "customer__account_no")
    raw_id_fields = ("customer", "building")
    readonly_fields = ("station", "address_text")

    def has_change_permission(self, request, obj=None):
        return False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        record_access(
            request.user,
            AccessLog.Action.LIST,
            [p.customer_id for p in changelist.result_list],
            request=request,
        )
        return changelist


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
