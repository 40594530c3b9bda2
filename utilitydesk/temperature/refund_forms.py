"""Forms of the refunds page: the filters and the approver's decision."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CreditStatus


class RefundFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    season = forms.TypedChoiceField(
        label=_("Heating season"), required=False, coerce=int, empty_value=None
    )
    station = forms.TypedChoiceField(
        label=_("Heating station"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, data, *, stations, seasons):
        super().__init__(data)
        self.fields["status"].choices = [("", _("All")), *CreditStatus.choices]
        self.fields["season"].choices = [("", _("All"))] + [
            (season, _("%(y)d–%(n)d season") % {"y": season, "n": season + 1}) for season in seasons
        ]
        self.fields["station"].choices = [("", _("All"))] + [
            (station.pk, station.name) for station in stations
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput
    )
    note = forms.CharField(label=_("Reason"), required=False, max_length=2000)
