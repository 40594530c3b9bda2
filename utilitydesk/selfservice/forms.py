from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from utilitydesk.arrears.models import ApplicationKind
from utilitydesk.callbacks.models import Outcome
from utilitydesk.cases.models import Kind

from .services import DESCRIPTION_MAX, RATINGS, REPORT_KINDS


def add_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's field errors on the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13812345678"}
        ),
    )


class CodeForm(PhoneForm):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )


class BindForm(forms.Form):
    account_no = forms.CharField(
        label=_("Account number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    name = forms.CharField(label=_("Account holder's name"), max_length=100, required=False)
    bill_amount = forms.CharField(
        label=_("Or: the last bill's amount (yuan)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[(k.value, k.label) for k in (Kind(k) for k in REPORT_KINDS)],
        widget=forms.RadioSelect,
        initial=Kind.REPAIR,
    )
    premises = forms.TypedChoiceField(label=_("Address"), coerce=int)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For example: radiators cold in every room since yesterday evening."),
    )
    # The files themselves are read from request.FILES (several under one name); the
    # field carries their errors.
    photos = forms.Field(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, premises_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premises"].choices = list(premises_choices)


class RatingForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("How satisfied are you with the work?"),
        choices=[(o.value, o.label) for o in (Outcome(o) for o in RATINGS)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What is still wrong? (needed if dissatisfied)"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TemperatureForm(forms.Form):
    premises = forms.TypedChoiceField(label=_("Address"), coerce=int)
    note = forms.CharField(
        label=_("When are you at home? Anything we should know?"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, premises_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["premises"].choices = list(premises_choices)


class HeatApplicationForm(TemperatureForm):
    kind = forms.ChoiceField(
        label=_("Application"), choices=ApplicationKind.choices, widget=forms.RadioSelect
    )
    field_order = ["kind", "premises", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].label = _("Note (optional)")
