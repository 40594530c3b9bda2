"""The "我受理的" page: every case a person took a contact on, with its progress and its
callback (R-203; the reads are in followup.py)."""

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from utilitydesk.cases.models import Case, Kind
from utilitydesk.privacy.access import record_cases_shown
from utilitydesk.privacy.web import personal_data_view

from .followup import FollowedFilters, followed_list
from .models import CallbackTask, Outcome

SCOPE_OPEN, SCOPE_ALL = "open", "all"


class FollowedFilterForm(forms.Form):
    scope = forms.ChoiceField(
        label=_("Cases shown"),
        choices=[(SCOPE_OPEN, _("Not yet settled")), (SCOPE_ALL, _("All"))],
        required=False,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Kind.choices], required=False
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        for name in ("received_from", "received_to"):
            value = data.get(name)
            if value and not 2000 <= value.year <= 2100:
                self.add_error(name, _("Give a time between the years 2000 and 2100."))
        return data

    def filters(self) -> FollowedFilters:
        """What the form asks for; a form with errors shows the default list (open)."""
        if not self.is_bound or not self.is_valid():
            return FollowedFilters()
        d = self.cleaned_data
        return FollowedFilters(
            open_only=d["scope"] != SCOPE_ALL,
            kind=d["kind"],
            received_from=d["received_from"],
            received_to=d["received_to"],
        )


@dataclass
class Row:
    case: Case
    callback: str  # what became of the callback after resolution, "" when there is none
    callback_due: datetime | None  # when it is still to make


def _callback_label(case: Case) -> str:
    status = getattr(case, "callback_status", None)
    if not status:
        return ""
    if status == CallbackTask.Status.DONE:
        outcome = getattr(case, "callback_outcome", "")
        return str(Outcome(outcome).label) if outcome in Outcome.values else str(_("Done"))
    return str(CallbackTask.Status(status).label)


def row_of(case: Case) -> Row:
    open_task = getattr(case, "callback_status", None) == CallbackTask.Status.OPEN
    return Row(
        case=case,
        callback=_callback_label(case),
        callback_due=getattr(case, "callback_due", None) if open_task else None,
    )


@login_required
@permission_required("cases.view_case", raise_exception=True)
@personal_data_view
def followed(request):
    """每个我受理的来电/工单 and how far it has got, newest first."""
    form = FollowedFilterForm(request.GET or None)
    cases = followed_list(request.user, form.filters())
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    record_cases_shown(request, page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "callbacks/followed.html",
        {
            "form": form,
            "page": page,
            "rows": [row_of(case) for case in page.object_list],
            "query": query.urlencode(),
        },
    )
