from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from utilitydesk.accounts.names import display_name
from utilitydesk.cases.forms import DateTimeField, DateTimeLocalInput

from .models import DutyRole, LogKind, RefusalCondition, Shift


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DayField(forms.DateField):
    """A date in years 2000 to 2100 (a form error instead of a server error)."""

    widget = DateInput

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not 2000 <= result.year <= 2100:
            raise forms.ValidationError(_("Give a date between the years 2000 and 2100."))
        return result


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{display_name(obj)}（{obj.get_username()}）"


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's refusal onto the form: field messages beside their field, the rest on
    top."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class EntryForm(forms.Form):
    first_day = DayField(label=_("From"))
    last_day = DayField(label=_("to (optional, every day in between)"), required=False)
    shift = forms.ModelChoiceField(
        label=_("Shift"), queryset=Shift.objects.filter(is_active=True), empty_label=None
    )
    person = PersonChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Role on duty"), choices=DutyRole.choices)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class SubstituteForm(forms.Form):
    substitute = PersonChoiceField(label=_("Substitute"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = people


class LogEntryForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=LogKind.choices)
    occurred_at = DateTimeField(
        label=_("Time"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    text = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class LogFilterForm(forms.Form):
    date_from = DayField(label=_("From"), required=False)
    date_to = DayField(label=_("To"), required=False)
    kind = forms.MultipleChoiceField(
        label=_("Type"),
        choices=LogKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class NotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Handover notes"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=8000,
    )


class AcceptForm(forms.Form):
    confirm_unfinished = forms.BooleanField(
        label=_("I have seen the unfinished work listed and take it over"), required=False
    )


class RefuseForm(forms.Form):
    conditions = forms.MultipleChoiceField(
        label=_("Reasons (四不接)"),
        choices=RefusalCondition.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one reason for refusing the handover.")},
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )
