from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit, UnitKind

from .models import BillStatus


class RunForm(forms.Form):
    season = forms.IntegerField(
        label=_("Heating season (its first year)"), min_value=2000, max_value=2200
    )


class BillFilterForm(forms.Form):
    season = forms.IntegerField(
        label=_("Heating season"), required=False, min_value=2000, max_value=2200
    )
    station = forms.ModelChoiceField(
        label=_("Station"),
        queryset=OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("code"),
        required=False,
        empty_label=_("All stations"),
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *BillStatus.choices], required=False
    )
    account = forms.CharField(label=_("Account number"), required=False, max_length=32)


class MeterImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: account number or meter number, date (YYYY-MM-DD), cumulative GJ; the first row names them."
        ),
    )


class CorrectionForm(forms.Form):
    area_m2 = forms.DecimalField(
        label=_("Corrected area (m²)"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        decimal_places=2,
    )
    adjustment = forms.DecimalField(
        label=_("Adjustment (yuan, negative reduces)"),
        required=False,
        max_digits=12,
        decimal_places=2,
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (needed to reject)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
