"""Forms of the monitoring points pages and the thermometer register (issue 14)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Instrument, InstrumentKind

INFRARED_NOTE = _(
    "Infrared and laser thermometers may be registered, but they cannot be used for "
    "measurements (R-705): they measure a surface, not the air of the room."
)


def _station_choices(stations, *, blank):
    return [("", blank)] + [(station.pk, station.name) for station in stations]


class PointFilterForm(forms.Form):
    station = forms.TypedChoiceField(
        label=_("Station"), required=False, coerce=int, empty_value=None
    )
    address = forms.CharField(label=_("Address"), required=False, max_length=100)
    inactive = forms.BooleanField(label=_("Show inactive points"), required=False)

    def __init__(self, data, *, stations):
        super().__init__(data)
        stations = list(stations)
        if len(stations) > 1:
            self.fields["station"].choices = _station_choices(stations, blank=_("All"))
        else:
            del self.fields["station"]


class PremisesSearchForm(forms.Form):
    address = forms.CharField(label=_("Find the home by its address"), min_length=2, max_length=100)
    station = forms.TypedChoiceField(
        label=_("Station"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data, *, stations):
        super().__init__(data)
        stations = list(stations)
        if len(stations) > 1:
            self.fields["station"].choices = _station_choices(stations, blank=_("All"))
        else:
            del self.fields["station"]


class AddPointForm(forms.Form):
    premises = forms.IntegerField(widget=forms.HiddenInput)
    rooms = forms.CharField(
        label=_("Rooms measured"),
        required=False,
        max_length=200,
        help_text=_("For example: master bedroom, living room"),
    )


class PlaceLoggerForm(forms.Form):
    logger: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Data logger"), queryset=Instrument.objects.none()
    )

    def __init__(self, data=None, *, loggers):
        super().__init__(data)
        self.fields["logger"].queryset = loggers
        self.fields["logger"].empty_label = _("Choose a data logger")


class LoggerFileForm(forms.Form):
    file = forms.FileField(label=_("Logger CSV file"))


class InstrumentForm(forms.Form):
    serial_number = forms.CharField(label=_("Serial number"), max_length=40)
    model_name = forms.CharField(label=_("Model"), max_length=60)
    kind = forms.ChoiceField(
        label=_("Type"), choices=InstrumentKind.choices, help_text=INFRARED_NOTE
    )
    accuracy = forms.DecimalField(
        label=_("Accuracy (± °C)"),
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("9.99"),
        help_text=_("For ±0.3 °C enter 0.3."),
    )
    certificate_number = forms.CharField(label=_("Calibration certificate number"), max_length=60)
    certificate_expires = forms.DateField(
        label=_("Certificate valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    station = forms.TypedChoiceField(label=_("Kept by"), coerce=int, empty_value=None)

    def __init__(self, data=None, *, stations, company_wide, initial=None):
        super().__init__(data, initial=initial)
        blank = _("The whole company") if company_wide else _("Choose the station")
        self.fields["station"].choices = _station_choices(stations, blank=blank)
        self.fields["station"].required = not company_wide
