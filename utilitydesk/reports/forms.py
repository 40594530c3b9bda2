from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit

from .models import ReportKind
from .services import period_for


class FilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of report"),
        choices=[("", _("All reports")), *ReportKind.choices],
        required=False,
    )
    unit = forms.ModelChoiceField(
        label=_("Reporting unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("All units"),
    )
    period = forms.CharField(label=_("Period"), max_length=12, required=False)

    def __init__(self, *args, units: QuerySet[OrgUnit], **kwargs):
        super().__init__(*args, **kwargs)
        unit_field = cast(forms.ModelChoiceField, self.fields["unit"])
        unit_field.queryset = units


class GenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of report"), choices=ReportKind.choices)
    unit = forms.ModelChoiceField(label=_("Reporting unit"), queryset=OrgUnit.objects.none())
    period = forms.CharField(
        label=_("Period"),
        max_length=12,
        help_text=_(
            "A week (2026-W48) for the weekly report, a month (2026-11) for the monthly ones, a quarter (2026-Q4) for the consultation summary."
        ),
    )

    def __init__(self, *args, units: QuerySet[OrgUnit], **kwargs):
        super().__init__(*args, **kwargs)
        unit_field = cast(forms.ModelChoiceField, self.fields["unit"])
        unit_field.queryset = units

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("period"):
            try:
                data["period_obj"] = period_for(data["kind"], data["period"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
        return data
