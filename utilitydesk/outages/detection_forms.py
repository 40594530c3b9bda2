from django import forms
from django.utils.translation import gettext_lazy as _

from .detection import REASON_MAX
from .models import SignalState


class SignalFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), *SignalState.choices],
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this is not an incident"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
