"""The case lifecycle as data: which action may move a case from which states to which,
with which permission, for whom. The `services` package (lifecycle.py) enforces it; docs/cases.md draws it."""

from dataclasses import dataclass

from .models import OPEN_STATUSES, Status
from .scope import in_unit_scope

S = Status


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the status stays as it is
    permission: str
    # "any": whoever has the permission and can see the case; "unit": people of the
    # responsible unit (or a team under it); "assignee": the assigned technician, or a
    # supervisor of the responsible unit.
    scope: str


def _t(sources, target, permission, scope) -> Transition:
    return Transition(frozenset(sources), target, permission, scope)


TRANSITIONS: dict[str, Transition] = {
    "dispatch": _t(
        {S.REGISTERED, S.RETURNED, S.REOPENED}, S.DISPATCHED, "cases.dispatch_case", "any"
    ),
    "redispatch": _t(
        {S.DISPATCHED, S.ACCEPTED, S.BOOKED, S.WAITING_CUSTOMER, S.REOPENED},
        S.DISPATCHED,
        "cases.dispatch_case",
        "any",
    ),
    "return": _t(
        {S.DISPATCHED, S.ACCEPTED, S.BOOKED, S.REOPENED}, S.RETURNED, "cases.handle_case", "unit"
    ),
    "accept": _t({S.DISPATCHED, S.REOPENED}, S.ACCEPTED, "cases.handle_case", "unit"),
    "assign": _t(
        {S.DISPATCHED, S.REOPENED, S.ACCEPTED, S.BOOKED, S.WAITING_CUSTOMER},
        None,
        "cases.supervise_case",
        "unit",
    ),
    "call_customer": _t(
        {S.ACCEPTED, S.BOOKED, S.WAITING_CUSTOMER}, None, "cases.handle_case", "assignee"
    ),
    "book": _t(
        {S.ACCEPTED, S.BOOKED, S.WAITING_CUSTOMER}, S.BOOKED, "cases.handle_case", "assignee"
    ),
    "not_home": _t({S.BOOKED}, S.BOOKED, "cases.handle_case", "assignee"),
    "wait_for_customer": _t(
        {S.ACCEPTED, S.BOOKED}, S.WAITING_CUSTOMER, "cases.handle_case", "assignee"
    ),
    "resume": _t({S.WAITING_CUSTOMER}, None, "cases.handle_case", "assignee"),
    "arrive": _t({S.ACCEPTED, S.BOOKED}, S.ON_SITE, "cases.handle_case", "assignee"),
    "exempt_signoff": _t({S.ACCEPTED, S.BOOKED, S.ON_SITE}, None, "cases.supervise_case", "unit"),
    "resolve": _t({S.ACCEPTED, S.ON_SITE}, S.RESOLVED, "cases.handle_case", "assignee"),
    "record_callback": _t({S.RESOLVED}, S.CALLBACK_DONE, "cases.close_case", "any"),
    "close": _t({S.RESOLVED, S.CALLBACK_DONE}, S.CLOSED, "cases.close_case", "any"),
    "reopen": _t({S.RESOLVED, S.CALLBACK_DONE, S.CLOSED}, S.REOPENED, "cases.reopen_case", "any"),
    "cancel": _t(OPEN_STATUSES - {S.ON_SITE}, S.CANCELLED, "cases.cancel_case", "any"),
    # Closed because its cause was dealt with elsewhere (the supply interruption it was
    # about is restored): from any state but on site, where the technician finishes.
    "settle": _t(
        (OPEN_STATUSES - {S.ON_SITE}) | {S.RESOLVED, S.CALLBACK_DONE},
        S.CLOSED,
        "cases.settle_case",
        "any",
    ),
    "note": _t(set(Status.values), None, "cases.view_case", "any"),
    "reply": _t(OPEN_STATUSES | {S.RESOLVED}, None, "cases.view_case", "any"),
}


def allowed_actions(status: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def scope_allows(user, case, scope: str) -> bool:
    """Whether ``user`` is among the people a transition's scope names for ``case``: the
    check services make before acting, and the one pages make before offering it."""

    if user.is_superuser or scope == "any":
        return True
    if scope == "unit":
        return in_unit_scope(user, case.responsible_unit)
    if scope == "assignee":
        if case.assignee_id is not None and case.assignee_id == user.pk:
            return True
        return user.has_perm("cases.supervise_case") and in_unit_scope(user, case.responsible_unit)
    return False
