"""How interruptions react to calls (registered in apps.py through cases.hooks): the
intake's "this call is about the interruption" choice, the hold that keeps such a call
from being dispatched, the link and its count, and the check after restoration."""

from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from utilitydesk.cases.hooks import CaseHappened, Hold
from utilitydesk.cases.models import Contact

from .interruption_selectors import linkable_interruption, reference_of
from .interruptions import SUPPLY_KINDS, flag_call_after_restoration, link_call

FIELD = "interruption"


class NotRendered(forms.HiddenInput):
    """The value comes from the radios of the intake section (outages/_intake_section.html);
    the form itself draws nothing for it."""

    def render(  # noqa: ARG002
        self, name: str, value: Any, attrs: Any = None, renderer: Any = None
    ) -> SafeString:
        return SafeString("")


def intake_fields(user: Any) -> dict[str, forms.Field]:
    return {
        FIELD: forms.IntegerField(
            required=False, min_value=1, max_value=2**63 - 1, widget=NotRendered
        )
    }


def _chosen(data: Mapping[str, Any]) -> int | None:
    value = data.get(FIELD)
    return int(value) if isinstance(value, int) and value > 0 else None


def hold_check(
    actor: Any, kind: str, premises: Any, building: Any, data: Mapping[str, Any]
) -> Hold | None:
    """A call about supply linked to an active interruption covering its place is held by
    it, not dispatched (cases asks before routing)."""
    chosen = _chosen(data)
    if chosen is None or kind not in SUPPLY_KINDS:
        return None
    interruption = linkable_interruption(
        actor,
        chosen,
        getattr(premises, "pk", None),
        getattr(building, "pk", None),
    )
    if interruption is None:
        return None
    return Hold(
        reference=reference_of(interruption),
        note=_("Linked to supply interruption %(number)s: %(title)s")
        % {"number": interruption.number, "title": interruption.title},
    )


def on_case_created(happened: CaseHappened) -> None:
    """A call about supply (repair, temperature) linked at intake is recorded on the
    interruption (refused, with the call, when its place is not inside it); one from a
    scope restored within the policy's hours opens a normal repair and flags the
    interruption. Other kinds (a complaint about the outage) are not linked at intake:
    the case page links them when wanted, and restoration does not close them."""
    case = happened.case
    if case.kind not in SUPPLY_KINDS:
        return  # a complaint or an enquiry about it is not "the same fault"
    chosen = _chosen(happened.data)
    if chosen is not None:
        contact = Contact.objects.filter(case=case).order_by("-pk").first()
        link_call(chosen, case, actor=happened.actor, now=happened.now, contact=contact)
        return
    flag_call_after_restoration(case, actor=happened.actor, now=happened.now)
