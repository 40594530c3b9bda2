"""The lifecycle engine: each action locks the case row, checks the state (workflow.py),
the actor's permission and scope, applies the change, appends a numbered timeline event,
moves the deadlines and announces the step to the apps above — in one transaction."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.org.models import OrgUnit

from .. import deadlines as case_deadlines
from ..hooks import ACTION_HOOKS, announce, check_action
from ..labels import ACTION_LABELS
from ..models import (
    Case,
    Status,
)
from ..routing import route
from ..selectors import (
    in_unit_scope,
    visible_cases,
)
from ..workflow import TRANSITIONS, scope_allows
from .events import record_event


class ConflictError(Exception):
    """Someone else changed the case first; the message says who and what."""


def _check_scope(case: Case, scope: str, *, actor: Actor) -> None:
    if scope_allows(actor, case, scope):
        return
    if scope == "unit":
        raise PermissionDenied(_("Only the responsible unit can do this."))
    raise PermissionDenied(_("Only the assigned technician or a supervisor can do this."))


def _act(
    number: str,
    action: str,
    apply: Callable[[Case], dict[str, Any] | None],
    *,
    actor: Actor,
    now: datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
    context: Mapping[str, Any] | None = None,
) -> Case:
    now = now or timezone.now()
    transition = TRANSITIONS[action]
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).first()
        if case is None:
            raise ValidationError({"case": _("Unknown case number.")})
        if not actor.has_perm(transition.permission):
            raise PermissionDenied(_("You are not allowed to do this."))
        if not actor.is_superuser and not visible_cases(actor).filter(pk=case.pk).exists():
            raise PermissionDenied(_("This case is outside your area."))
        if expected_version is not None and case.version != expected_version:
            last = case.events.order_by("-seq").select_related("actor").first()
            who = last.actor.get_username() if last and last.actor else "-"
            raise ConflictError(
                _(
                    "Case %(number)s was changed meanwhile by %(who)s (now: %(status)s). Reload it and try again."
                )
                % {"number": number, "who": who, "status": case.get_status_display()}
            )
        if case.status not in transition.sources:
            raise ValidationError(
                {
                    "status": [
                        _("“%(action)s” is not possible while the case is “%(status)s”.")
                        % {"action": action_label(action), "status": case.get_status_display()}
                    ]
                }
            )
        _check_scope(case, transition.scope, actor=actor)
        check_action(action, case, actor=actor, now=now, context=context or {})
        before = case.status
        if transition.target:
            case.status = transition.target
        data = apply(case) or {}
        case.version += 1
        case.updated_at = now
        event = record_event(case, action, before, note, actor=actor, at=case.updated_at, data=data)
        case_deadlines.on_case_action(case, action, case.updated_at, note)
        if action in ACTION_HOOKS:
            # ``event_seq`` names the step: a reaction that must happen once per step (a
            # message) keys on it; the same step announced again carries the same number.
            announce(
                ACTION_HOOKS[action],
                case,
                actor=actor,
                now=case.updated_at,
                note=note,
                event_seq=event.seq,
            )
        case.save()
    return case


def _plain(
    action: str,
    number: str,
    note: str,
    expected_version: int | None,
    *,
    actor: Actor,
    now: datetime,
) -> Case:
    """An action that changes only the state (workflow.py) and the timeline."""
    return _act(
        number,
        action,
        lambda case: None,
        actor=actor,
        now=now,
        note=note,
        expected_version=expected_version,
    )


def action_label(action: str) -> str:

    return str(ACTION_LABELS.get(action, action))


def _require_text(value: str, field_name: str, message: str) -> str:
    if not (value or "").strip():
        raise ValidationError({field_name: [message]})
    return value.strip()


def dispatch(
    number: str,
    unit_id: int | None = None,
    note: str = "",
    expected_version: int | None = None,
    redispatch: bool = False,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> dict[str, Any]:
        unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
        if unit is None:
            unit, rule = route(case.kind, case.premises, case.building)
            case.routing_rule = rule
        else:
            case.routing_rule = None
        if unit is None:
            raise ValidationError({"unit_id": [_("Choose the unit to send the case to.")]})
        case.responsible_unit = unit
        case.assignee = None
        case.appointment_at = None
        case.dispatched_at = now
        return {"unit": unit.name, "unit_id": unit.pk}

    if redispatch:
        note = _require_text(note, "note", _("Say why the case is re-dispatched."))
    return _act(
        number,
        "redispatch" if redispatch else "dispatch",
        apply,
        actor=actor,
        now=now,
        note=note,
        expected_version=expected_version,
    )


def return_case(
    number: str,
    reason: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    reason = _require_text(reason, "note", _("Say why the case is returned."))
    return _plain("return", number, reason, expected_version, actor=actor, now=now)


def accept(
    number: str,
    assignee_id: int | None = None,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> dict[str, Any]:
        assignee = _assignee(case, assignee_id, actor=actor)
        case.assignee = assignee
        case.accepted_at = now
        return {"assignee": assignee.get_username()}

    return _act(number, "accept", apply, actor=actor, now=now, expected_version=expected_version)


def _assignee(case: Case, assignee_id: int | None, *, actor: Actor) -> Actor:

    if not assignee_id or assignee_id == actor.pk:
        return actor
    if not actor.has_perm("cases.supervise_case"):
        raise PermissionDenied(_("Only a supervisor can give the case to someone else."))
    person = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if person is None or not in_unit_scope(person, case.responsible_unit):
        raise ValidationError(
            {"assignee_id": [_("This person does not work in the responsible unit.")]}
        )
    return person


def assign(
    number: str,
    assignee_id: int,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> dict[str, Any]:
        case.assignee = _assignee(case, assignee_id, actor=actor)
        if case.status in (Status.DISPATCHED, Status.REOPENED):
            case.status = Status.ACCEPTED
            case.accepted_at = now
        return {"assignee": case.assignee.get_username()}

    return _act(number, "assign", apply, actor=actor, now=now, expected_version=expected_version)


def wait_for_customer(
    number: str,
    reason: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    reason = _require_text(reason, "note", _("Say what the case is waiting for."))
    return _plain("wait_for_customer", number, reason, expected_version, actor=actor, now=now)


def resume(
    number: str,
    note: str = "",
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> None:
        case.status = Status.BOOKED if case.appointment_at else Status.ACCEPTED
        return None

    return _act(
        number, "resume", apply, actor=actor, now=now, note=note, expected_version=expected_version
    )


def record_callback(
    number: str,
    note: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    return _plain("record_callback", number, note, expected_version, actor=actor, now=now)


def close(
    number: str,
    note: str = "",
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> None:
        case.closed_at = now
        return None

    return _act(
        number, "close", apply, actor=actor, now=now, note=note, expected_version=expected_version
    )


def reopen(
    number: str,
    reason: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    reason = _require_text(reason, "note", _("Say why the case is reopened."))

    def apply(case: Case) -> None:
        case.resolved_at = None
        case.closed_at = None
        case.signoff = ""
        case.on_site_at = None
        case.appointment_at = None
        return None

    return _act(
        number,
        "reopen",
        apply,
        actor=actor,
        now=now,
        note=reason,
        expected_version=expected_version,
    )


def settle(
    number: str,
    note: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Close a case whose cause was dealt with elsewhere — the supply interruption it was
    about is restored — from any state but on site; announced as closed."""
    now = now or timezone.now()
    note = _require_text(note, "note", _("Say how the cause was dealt with."))

    def apply(case: Case) -> dict[str, Any]:
        case.closed_at = now
        return {"settled": True}

    return _act(
        number, "settle", apply, actor=actor, now=now, note=note, expected_version=expected_version
    )


def cancel(
    number: str,
    reason: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    reason = _require_text(reason, "note", _("Say why the case is cancelled."))
    return _plain("cancel", number, reason, expected_version, actor=actor, now=now)


def add_note(number: str, note: str, *, actor: Actor, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    note = _require_text(note, "note", _("The note is empty."))
    return _plain("note", number, note, None, actor=actor, now=now)


def note_on_case(
    number: str,
    note: str,
    change: Callable[[Case], dict[str, Any] | None],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """A change another app makes to a case, recorded as a note on its timeline (e.g.
    outages linking it to a major fault): locked, checked and numbered like ``add_note``;
    ``change`` edits the case and returns the event's data."""
    now = now or timezone.now()
    return _act(number, "note", change, actor=actor, now=now, note=note)
