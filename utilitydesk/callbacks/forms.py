"""The callback pages' input: checked here so that a wrong value is a form error shown
with what was typed, never a lost form or a server error."""

from typing import cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from utilitydesk.org.models import OrgUnit, UnitKind

from .models import CallbackTask, Outcome


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Result"), choices=Outcome.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    if_dissatisfied = forms.ChoiceField(
        label=_("If dissatisfied"),
        initial="reopen",
        choices=[
            ("reopen", _("Reopen the case")),
            ("complaint", _("Open a complaint")),
        ],
    )

    def __init__(self, *args, task: CallbackTask | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        if task is not None and not offers_case_follow_up(task):
            # Nothing to reopen and no case to complain about: the choice is not offered.
            del self.fields["if_dissatisfied"]

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.DISSATISFIED and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Write down what the customer is dissatisfied with."))
        data.setdefault("if_dissatisfied", "reopen")
        return data


def offers_case_follow_up(task: CallbackTask) -> bool:
    """Reopen / complaint follow a dissatisfied callback after a case's resolution only."""
    return bool(task.case_id) and task.purpose == CallbackTask.Purpose.FIRST


class SpotCheckForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=_("Station / department"),
        queryset=OrgUnit.objects.filter(
            kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
        ).order_by("kind", "code"),
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.IntegerField(label=_("Quarter"), min_value=1, max_value=4)
    seed = forms.CharField(label=_("Seed (optional)"), required=False, max_length=40)


TYPE_CHOICES = [
    ("", _("All types")),
    ("case", _("After a case")),
    ("vip", _("VIP account")),
    ("long_term", _("Long-term account")),
    ("spot_check", _("Spot check")),
]
DUE_CHOICES = [
    ("", _("Any due date")),
    ("overdue", _("Overdue")),
    ("today", _("Due today")),
    ("week", _("Due this week")),
]
SORT_CHOICES = [
    ("due", _("Due, earliest first")),
    ("-due", _("Due, latest first")),
    ("-tries", _("Most tries first")),
    ("unit", _("Station / department")),
    ("type", _("Type")),
]


class QueueFilterForm(forms.Form):
    """The callback list's filters (GET). Supervisors choose any agent; agents see their
    own callbacks and the unassigned ones."""

    type = forms.ChoiceField(label=_("Type"), choices=TYPE_CHOICES, required=False)
    due = forms.ChoiceField(label=_("Due"), choices=DUE_CHOICES, required=False)
    unit = forms.ModelChoiceField(
        label=_("Station / department"),
        queryset=OrgUnit.objects.filter(
            kind__in=[UnitKind.STATION, UnitKind.DEPARTMENT], is_active=True
        ).order_by("kind", "code"),
        required=False,
        empty_label=_("All units"),
    )
    agent = forms.ChoiceField(label=_("Assigned to"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args, supervisor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str | Promise]] = [
            ("", _("Everyone") if supervisor else _("Mine and unassigned")),
            ("mine", _("Mine")),
            ("unassigned", _("Unassigned")),
        ]
        if supervisor:
            callers = (
                get_user_model()
                .objects.filter(callback_tasks__status=CallbackTask.Status.OPEN)
                .distinct()
                .order_by("username")
            )
            choices += [(str(u.pk), f"{u.last_name}{u.first_name} ({u.username})") for u in callers]
        cast(forms.ChoiceField, self.fields["agent"]).choices = choices

    def filters(self) -> dict:
        """The valid filters (an invalid value is dropped, never an error page)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}
