from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Building, Source, Substation, Utility
from utilitydesk.cases.forms import DateTimeField, DateTimeLocalInput

from .interruption_scope import Scope
from .models import InterruptionKind, InterruptionState, SpecialCareCall
from .selectors import fault_units_of

UNIT_NO_MAX = 16


class ScopeForm(forms.Form):
    """The scope picker: whole sources or substations, single buildings, or units of one
    building. Station positions see their own station's network."""

    sources = forms.TypedMultipleChoiceField(
        label=_("Supply sources"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Every premises supplied from these sources."),
    )
    substations = forms.TypedMultipleChoiceField(
        label=_("Substations"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Every building served by these substations."),
    )
    buildings = forms.TypedMultipleChoiceField(
        label=_("Buildings"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl to choose several."),
    )
    unit_building = forms.TypedChoiceField(
        label=_("Units of one building: the building"),
        coerce=int,
        required=False,
        empty_value=None,
    )
    unit_numbers = forms.CharField(
        label=_("Units (e.g. 1, 2)"),
        required=False,
        max_length=200,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        own = fault_units_of(user) if user is not None else None
        sources = Source.objects.order_by("code")
        substations = Substation.objects.select_related("station").order_by("station__name", "code")
        buildings = Building.objects.select_related("community").order_by("community__name", "name")
        if own is not None:
            sources = sources.filter(substations__station_id__in=own).distinct()
            substations = substations.filter(station_id__in=own)
            buildings = buildings.filter(
                Q(substation__station_id__in=own) | Q(grid__station_id__in=own)
            )
        self.fields["sources"].choices = [(s.pk, s.name) for s in sources]
        self.fields["substations"].choices = [
            (s.pk, f"{s.name}（{s.station.name}）") for s in substations
        ]
        groups: dict[str, list[tuple[int, str]]] = {}
        for building in buildings:
            groups.setdefault(building.community.name, []).append((building.pk, building.name))
        self.fields["buildings"].choices = list(groups.items())
        self.fields["unit_building"].choices = [("", "—"), *groups.items()]

    def clean(self):
        data = super().clean()
        numbers = [
            n.strip()
            for n in (data.get("unit_numbers") or "")
            .replace("，", ",")
            .replace("、", ",")
            .split(",")
            if n.strip()
        ]
        if numbers and not data.get("unit_building"):
            self.add_error("unit_building", _("Choose the building of these units."))
        if data.get("unit_building") and not numbers:
            self.add_error("unit_numbers", _("Give the units of the building."))
        if any(len(n) > UNIT_NO_MAX for n in numbers):
            self.add_error("unit_numbers", _("At most 16 characters per unit."))
        data["units"] = (
            [(data["unit_building"], n) for n in numbers] if data.get("unit_building") else []
        )
        return data

    def scope(self) -> Scope:
        d = self.cleaned_data
        return Scope(
            source_ids=d.get("sources") or [],
            substation_ids=d.get("substations") or [],
            building_ids=d.get("buildings") or [],
            units=d.get("units") or [],
        )


class InterruptionForm(ScopeForm):
    planned = forms.TypedChoiceField(
        label=_("Planned or not"),
        coerce=lambda v: v == "1",
        choices=[("0", _("Unplanned")), ("1", _("Planned"))],
        initial="0",
    )
    utility = forms.ChoiceField(label=_("Utility"), choices=Utility.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=InterruptionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Cause and description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
    )
    start_at = DateTimeField(label=_("Start"), widget=DateTimeLocalInput())
    expected_restoration_at = DateTimeField(
        label=_("Expected restoration"), widget=DateTimeLocalInput()
    )

    field_order = [
        "planned",
        "utility",
        "kind",
        "title",
        "description",
        "start_at",
        "expected_restoration_at",
        "sources",
        "substations",
        "buildings",
        "unit_building",
        "unit_numbers",
    ]


class InterruptionFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), *InterruptionState.choices]
    )
    utility = forms.ChoiceField(
        label=_("Utility"), required=False, choices=[("", _("All")), *Utility.choices]
    )
    planned = forms.ChoiceField(
        label=_("Planned or not"),
        required=False,
        choices=[("", _("All")), ("1", _("Planned")), ("0", _("Unplanned"))],
    )
    override = forms.BooleanField(label=_("Short-notice overrides only"), required=False)
    q = forms.CharField(label=_("Number or title"), required=False, max_length=100)


class OverrideForm(forms.Form):
    override_reason = forms.CharField(
        label=_("Emergency override: the reason (only if it starts within the notice lead)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MoveRestorationForm(forms.Form):
    expected_restoration_at = DateTimeField(
        label=_("New expected restoration"), widget=DateTimeLocalInput()
    )
    reason = forms.CharField(label=_("Reason (sent to customers)"), max_length=60)


class RestoreForm(forms.Form):
    restored_at = DateTimeField(
        label=_("Restored at (empty: now)"), widget=DateTimeLocalInput(), required=False
    )
    note = forms.CharField(
        label=_("Restoration note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class CareCallForm(forms.Form):
    customer_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=SpecialCareCall.Outcome.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
