"""The complaint actions' input, checked before any service runs: a wrong value is a form
error shown with what was typed, never a server error or a lost form."""

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit

from .models import COMPANY_FAULT, Category, Level, Responsibility
from .selectors import ComplaintFilters, staff_of_unit, unit_choices

BLANK = [("", "—")]


class ComplaintForm(forms.Form):
    """Ids of their own: the case page shows these forms beside the case's forms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "complaint_%s")
        super().__init__(*args, **kwargs)


class ClassifyForm(ComplaintForm):
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    level = forms.TypedChoiceField(label=_("level"), choices=Level.choices, coerce=int)


def _unit_field(label, required=False) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=int, required=required, empty_value=None)


class DetermineForm(ComplaintForm):
    responsibility = forms.ChoiceField(
        label=_("responsibility"), choices=[*BLANK, *Responsibility.choices]
    )
    valid = forms.BooleanField(label=_("valid complaint"), required=False)
    responsible_unit = _unit_field(_("unit held responsible"))
    responsible_staff = forms.TypedChoiceField(
        label=_("staff member held responsible"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={
            "invalid_choice": _("The person held responsible works in the unit held responsible.")
        },
    )
    corrective_actions = forms.CharField(
        label=_("corrective actions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].choices = BLANK + unit_choices()
        # The staff list follows the unit chosen (htmx reloads it when the unit changes).
        self.fields["responsible_unit"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("complaints:staff_options"),
                "hx-target": "#complaint_responsible_staff",
                "hx-trigger": "change",
            }
        )
        unit = self._chosen_unit()
        self.fields["responsible_staff"].choices = BLANK + [
            (u.pk, f"{u.last_name}{u.first_name} ({u.username})") for u in staff_of_unit(unit)
        ]

    def _chosen_unit(self) -> OrgUnit | None:
        raw = (
            self.data.get("responsible_unit")
            if self.is_bound
            else self.initial.get("responsible_unit")
        )
        raw = getattr(raw, "pk", raw)
        if raw in (None, "") or not str(raw).isdecimal() or len(str(raw)) > 18:
            return None
        return OrgUnit.objects.filter(pk=int(raw)).first()

    def clean_responsible_unit(self):
        pk = self.cleaned_data["responsible_unit"]
        return None if pk is None else OrgUnit.objects.get(pk=pk)

    def clean_responsible_staff(self):
        pk = self.cleaned_data["responsible_staff"]
        return None if pk is None else get_user_model().objects.get(pk=pk)

    def clean(self):
        data = super().clean()

        if data.get("responsibility") in COMPANY_FAULT:
            if not data.get("responsible_unit") and "responsible_unit" not in self.errors:
                self.add_error(
                    "responsible_unit", _("A company fault names the unit held responsible.")
                )
            if not (data.get("corrective_actions") or "").strip():
                self.add_error("corrective_actions", _("A company fault needs corrective actions."))
        return data


class AppealForm(ComplaintForm):
    reason = forms.CharField(
        label=_("reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class RuleForm(ComplaintForm):
    appeal = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    upheld = forms.TypedChoiceField(
        label=_("ruling"),
        choices=[("1", _("Uphold")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    ruling = forms.CharField(
        label=_("ruling"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImportantForm(ComplaintForm):
    important = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


class RegisterFilterForm(forms.Form):
    """The complaint register's filters (GET)."""

    category = forms.ChoiceField(
        label=_("category"), choices=[("", _("All categories"))] + Category.choices, required=False
    )
    level = forms.TypedChoiceField(
        label=_("level"),
        choices=[("", _("All levels")), *Level.choices],
        coerce=int,
        required=False,
        empty_value=None,
    )
    unit = _unit_field(_("unit held responsible"))
    valid = forms.ChoiceField(
        label=_("valid complaint"),
        required=False,
        choices=[
            ("", _("All")),
            ("yes", _("Valid")),
            ("no", _("Not valid")),
            ("open", _("Not determined yet")),
        ],
    )
    start = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    important = forms.BooleanField(label=_("Important only"), required=False)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units"))] + unit_choices()

    def clean_unit(self):
        pk = self.cleaned_data["unit"]
        return None if pk is None else OrgUnit.objects.filter(pk=pk).first()

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            value = data.get(name)
            if value and not 2000 <= value.year <= 2100:
                self.add_error(name, _("Dates are YYYY-MM-DD, from 2000 to 2100."))
        return data

    def filters(self):

        if not self.is_bound or not self.is_valid():
            data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
            data = {k: v for k, v in data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        return ComplaintFilters(
            category=data.get("category") or "",
            level=data.get("level"),
            unit=data.get("unit"),
            valid=data.get("valid") or "",
            start=data.get("start"),
            end=data.get("end"),
            important=bool(data.get("important")),
        )
