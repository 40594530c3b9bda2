from django import forms
from django.utils.translation import gettext_lazy as _

from utilitydesk.customers.models import CustomerType

from .models import ApplicationKind, StepKind

STEP_FILTER = [("", _("Any step")), ("none", _("No step yet")), *StepKind.choices]


class ArrearsFilterForm(forms.Form):
    season = forms.IntegerField(
        label=_("Heating season"), required=False, min_value=2000, max_value=2100
    )
    station = forms.TypedChoiceField(
        label=_("Heating station"), required=False, coerce=int, empty_value=None
    )
    district = forms.TypedChoiceField(
        label=_("District"), required=False, coerce=int, empty_value=None
    )
    customer_type = forms.ChoiceField(
        label=_("Customer type"), required=False, choices=[("", _("All")), *CustomerType.choices]
    )
    min_amount = forms.DecimalField(
        label=_("Overdue at least"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_amount = forms.DecimalField(
        label=_("Overdue at most"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    step = forms.ChoiceField(label=_("Step reached"), required=False, choices=STEP_FILTER)
    min_days = forms.IntegerField(
        label=_("Days overdue at least"), required=False, min_value=0, max_value=3650
    )

    def __init__(self, *args, stations=(), districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].choices = [("", _("All")), *((s.pk, s.name) for s in stations)]
        self.fields["district"].choices = [("", _("All")), *((d.pk, d.name) for d in districts)]


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"), choices=StepKind.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApplicationForm(forms.Form):
    account_no = forms.CharField(label=_("Account number"), max_length=32)
    premises = forms.IntegerField(
        label=_("Premises number (when the account has several)"), required=False, min_value=1
    )
    kind = forms.ChoiceField(label=_("Application"), choices=ApplicationKind.choices)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
