from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from utilitydesk.area.models import Building, Substation
from utilitydesk.cases.forms import DateTimeField, DateTimeLocalInput, UnitsField
from utilitydesk.org.models import OrgUnit

from .selectors import fault_units_of


class FaultAreaForm(forms.Form):
    """The affected area of a major fault: whole substations and/or single buildings,
    limited to the stations of a station-scoped reporter."""

    substations = forms.TypedMultipleChoiceField(
        label=_("Affected substations"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Every building served by these substations is affected."),
    )
    buildings = forms.TypedMultipleChoiceField(
        label=_("Affected buildings"),
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl to choose several."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        own_units = fault_units_of(user) if user is not None else None
        substations = Substation.objects.select_related("station").order_by("station__name", "code")
        buildings = Building.objects.select_related("community").order_by("community__name", "name")
        if own_units is not None:
            substations = substations.filter(station_id__in=own_units)
            buildings = buildings.filter(
                Q(substation__station_id__in=own_units) | Q(grid__station_id__in=own_units)
            )
        self.fields["substations"].choices = [
            (s.pk, f"{s.name}（{s.station.name}）") for s in substations
        ]
        groups: dict[str, list[tuple[int, str]]] = {}
        for building in buildings:
            groups.setdefault(building.community.name, []).append((building.pk, building.name))
        self.fields["buildings"].choices = list(groups.items())

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("substations") or data.get("buildings")):
            raise forms.ValidationError(_("Name the affected buildings or substations."))
        return data


class FaultForm(FaultAreaForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    occurred_at = DateTimeField(label=_("Time"), widget=DateTimeLocalInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    symptoms = forms.CharField(label=_("Symptoms"), widget=forms.Textarea(attrs={"rows": 2}))
    response_plan = forms.CharField(
        label=_("Response plan"), widget=forms.Textarea(attrs={"rows": 2})
    )
    units = UnitsField(
        label=_("Responsible units to notify"), queryset=OrgUnit.objects.filter(is_active=True)
    )
    field_order = [
        "title",
        "occurred_at",
        "place",
        "substations",
        "buildings",
        "symptoms",
        "response_plan",
        "units",
    ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        own_units = fault_units_of(user) if user is not None else None
        if own_units is not None:
            self.fields["units"].queryset = OrgUnit.objects.filter(is_active=True, pk__in=own_units)


class FaultAnalysisForm(forms.Form):
    impact = forms.CharField(label=_("Impact"), widget=forms.Textarea(attrs={"rows": 2}))
    handling = forms.CharField(label=_("Handling"), widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 2}))
    corrective_actions = forms.CharField(
        label=_("Corrective actions"), widget=forms.Textarea(attrs={"rows": 2})
    )
    preventive_actions = forms.CharField(
        label=_("Preventive actions"), widget=forms.Textarea(attrs={"rows": 2})
    )
