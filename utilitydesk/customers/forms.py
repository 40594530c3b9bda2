from django import forms
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Building
from utilitydesk.org.selectors import stations

from .models import CustomerType, Grade, SpecialCare, SupplyStatus


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Phone, account number, name or address")}),
    )
    station = forms.ModelChoiceField(
        label=_("Heating station"),
        queryset=stations(),
        required=False,
        empty_label=_("All stations"),
    )
    grade = forms.ChoiceField(
        label=_("Grade"), choices=[("", _("All grades")), *Grade.choices], required=False
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"),
        choices=[("", _("All types")), *CustomerType.choices],
        required=False,
    )
    special_care_only = forms.BooleanField(label=_("Special care only"), required=False)


class CustomerEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    phones = forms.CharField(
        label=_("Phone numbers"),
        help_text=_("Several numbers separated by semicolons."),
        max_length=200,
    )
    customer_type = forms.ChoiceField(label=_("Customer type"), choices=CustomerType.choices)
    special_care = forms.ChoiceField(
        label=_("Special care"), choices=SpecialCare.choices, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    long_term_since = forms.DateField(
        label=_("Project / long-term account since"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Called back monthly in the first year, quarterly after."),
    )
    correcting_entry_error = forms.BooleanField(
        label=_("This corrects a data-entry error"),
        help_text=_("Counts an entry error against the clerk who entered the old value."),
        required=False,
    )


class CustomerCreateForm(CustomerEditForm):
    account_no = forms.RegexField(
        label=_("Account number"), regex=r"^[A-Za-z0-9-]{1,32}$", max_length=32
    )
    building = forms.ModelChoiceField(
        label=_("Building"),
        queryset=Building.objects.select_related("community__district").order_by(
            "community__name", "name"
        ),
    )
    unit_no = forms.CharField(label=_("Unit"), max_length=16, required=False)
    room_no = forms.CharField(label=_("Room"), max_length=16)
    heated_area = forms.DecimalField(label=_("Heated area (m²)"), min_value=0.01, decimal_places=2)
    status = forms.ChoiceField(label=_("Supply status"), choices=SupplyStatus.choices)
    meter_no = forms.CharField(label=_("Meter number"), max_length=32, required=False)
    field_order = [
        "account_no",
        "name",
        "phones",
        "customer_type",
        "special_care",
        "building",
        "unit_no",
        "room_no",
        "heated_area",
        "status",
        "meter_no",
        "notes",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["correcting_entry_error"]


class GradeRequestForm(forms.Form):
    to_grade = forms.ChoiceField(label=_("New grade"), choices=Grade.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class GradeDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Reject"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    dry_run = forms.BooleanField(label=_("Check only, write nothing"), required=False)
    create_buildings = forms.BooleanField(
        label=_("Create buildings that do not exist"), required=False
    )


class PremisesForm(forms.Form):
    """Supply status (stop, close or resume heating), heated area and meter of one
    premises; saved through services.update_premises (history recorded)."""

    status = forms.ChoiceField(label=_("Supply status"), choices=SupplyStatus.choices)
    heated_area = forms.DecimalField(
        label=_("Heated area (m²)"),
        min_value=0.01,
        max_value=1000000,
        max_digits=10,
        decimal_places=2,
    )
    metered = forms.BooleanField(label=_("Billed by meter"), required=False)
    meter_no = forms.CharField(
        label=_("Meter number"),
        max_length=32,
        required=False,
        help_text=_("A meter number makes the premises billed by meter."),
    )
