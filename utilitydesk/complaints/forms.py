"""The complaint actions' input, checked before any service runs: a wrong value is a form
error, never a server error."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit

from .models import Category, Level, Responsibility


class ClassifyForm(forms.Form):
    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    level = forms.TypedChoiceField(label=_("level"), choices=Level.choices, coerce=int)


class DetermineForm(forms.Form):
    responsibility = forms.ChoiceField(label=_("responsibility"), choices=Responsibility.choices)
    valid = forms.BooleanField(label=_("valid complaint"), required=False)
    responsible_unit = forms.ModelChoiceField(
        label=_("unit held responsible"), queryset=OrgUnit.objects.all(), required=False
    )
    responsible_staff = forms.ModelChoiceField(
        label=_("staff member held responsible"),
        queryset=get_user_model().objects.all(),
        required=False,
    )
    corrective_actions = forms.CharField(
        label=_("corrective actions"), required=False, max_length=4000
    )


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=4000)


class RuleForm(forms.Form):
    appeal = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    upheld = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
    ruling = forms.CharField(label=_("ruling"), max_length=4000)
