"""What happened to a case, announced to the apps above `cases` (docs/architecture.md).

`cases` knows nothing of callbacks, complaints or any later app: its services announce
each step here, inside their transaction, and the apps register their reactions in their
`ready()`. A reaction that raises aborts the step (it is the same transaction). The case
page's sections and the intake form's extra fields are registered the same way.

A lifecycle step's announcement carries ``note`` and ``event_seq``, the number of the
timeline event it recorded: a reaction that must act once per step keys on it.
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django import forms
    from django.http import HttpRequest

    from .models import Case


class CaseHook(StrEnum):
    CREATED = "created"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    DEADLINE_BREACHED = "deadline_breached"
    ESCALATED = "escalated"


# The lifecycle actions that are announced, and as what.
ACTION_HOOKS: dict[str, CaseHook] = {
    "dispatch": CaseHook.DISPATCHED,
    "redispatch": CaseHook.DISPATCHED,
    "resolve": CaseHook.RESOLVED,
    "reopen": CaseHook.REOPENED,
    "close": CaseHook.CLOSED,
    "cancel": CaseHook.CANCELLED,
    "settle": CaseHook.CLOSED,
}


@dataclass(frozen=True)
class CaseHappened:
    hook: CaseHook
    case: "Case"
    actor: Any
    now: datetime
    data: Mapping[str, Any] = field(default_factory=dict)


Reaction = Callable[[CaseHappened], None]
_REACTIONS: dict[CaseHook, list[Reaction]] = defaultdict(list)


def react(hook: CaseHook, reaction: Reaction) -> None:
    """Register ``reaction`` to ``hook`` (once, however often ``ready()`` runs)."""
    if reaction not in _REACTIONS[hook]:
        _REACTIONS[hook].append(reaction)


def announce(hook: CaseHook, case: "Case", *, actor: Any, now: datetime, **data: Any) -> None:
    happened = CaseHappened(hook=hook, case=case, actor=actor, now=now, data=data)
    for reaction in _REACTIONS[hook]:
        reaction(happened)


def reactions(hook: CaseHook) -> list[Reaction]:
    return list(_REACTIONS[hook])


# --- the case page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A part of the case page owned by another app: its template and its context."""

    key: str
    template: str
    context: Callable[["HttpRequest", "Case"], dict[str, Any] | None]
    order: int = 100


_SECTIONS: dict[str, Section] = {}


def register_section(section: Section) -> None:
    _SECTIONS[section.key] = section


def sections_for(request: "HttpRequest", case: "Case") -> tuple[list[str], dict[str, Any]]:
    """The templates to include, in order, and the context they need (merged)."""
    templates: list[str] = []
    context: dict[str, Any] = {}
    for section in sorted(_SECTIONS.values(), key=lambda s: s.order):
        extra = section.context(request, case)
        if extra is not None:
            templates.append(section.template)
            context.update(extra)
    return templates, context


# --- the intake form ----------------------------------------------------------------------

# (user) -> {field name: form field}; the values reach the CREATED reactions as data.
IntakeFields = Callable[[Any], dict[str, "forms.Field"]]
_INTAKE_FIELDS: list[IntakeFields] = []


def register_intake_fields(provider: IntakeFields) -> None:
    if provider not in _INTAKE_FIELDS:
        _INTAKE_FIELDS.append(provider)


def intake_fields(user: Any) -> dict[str, "forms.Field"]:
    fields: dict[str, forms.Field] = {}
    for provider in _INTAKE_FIELDS:
        fields.update(provider(user))
    return fields


# Parts of the intake form owned by another app (the major faults being handled): inside
# the form, so their inputs are posted with the contact; context from (request, customer).
@dataclass(frozen=True)
class IntakeSection:
    key: str
    template: str
    context: Callable[["HttpRequest", Any], dict[str, Any] | None]
    order: int = 100


_INTAKE_SECTIONS: dict[str, IntakeSection] = {}


def register_intake_section(section: IntakeSection) -> None:
    _INTAKE_SECTIONS[section.key] = section


def intake_sections_for(request: "HttpRequest", customer: Any) -> tuple[list[str], dict[str, Any]]:
    """As ``sections_for``: the templates to include, in order, and their merged context."""
    templates: list[str] = []
    context: dict[str, Any] = {}
    for section in sorted(_INTAKE_SECTIONS.values(), key=lambda s: s.order):
        extra = section.context(request, customer)
        if extra is not None:
            templates.append(section.template)
            context.update(extra)
    return templates, context


# --- the major fault a contact is about ----------------------------------------------------

# `Contact.major_fault` and `Case.major_fault` point to outages.MajorFault (a string
# reference: no import). The outages app registers which fault a person may link a call
# to, (user, fault id) -> the fault or None; without it no call is linked to a fault.
FaultLookup = Callable[[Any, int], Any]
_FAULT_LOOKUP: list[FaultLookup] = []


def register_fault_lookup(lookup: FaultLookup) -> None:
    _FAULT_LOOKUP[:] = [lookup]


def linkable_fault(user: Any, fault_id: int) -> Any:
    return _FAULT_LOOKUP[0](user, fault_id) if _FAULT_LOOKUP else None


# --- a new case another app answers for ----------------------------------------------------

# A call about a known supply interruption is recorded, but not dispatched: the interruption
# answers for it and its restoration closes the case (outages). The app registers a check,
# (actor, kind, premises, building, intake data) -> Hold or None, asked before routing.


@dataclass(frozen=True)
class Hold:
    """What holds a new case instead of a unit: ``reference`` ("interruption:12") and the
    note for its timeline ("关联停热 TD2026112400001")."""

    reference: str
    note: str


HoldCheck = Callable[[Any, str, Any, Any, Mapping[str, Any]], Hold | None]
_HOLD_CHECKS: list[HoldCheck] = []


def register_hold_check(check: HoldCheck) -> None:
    if check not in _HOLD_CHECKS:
        _HOLD_CHECKS.append(check)


def hold_for(
    actor: Any, *, kind: str, premises: Any, building: Any, data: Mapping[str, Any]
) -> Hold | None:
    """The first hold a registered check gives the new case, or None (dispatch as usual)."""
    for check in _HOLD_CHECKS:
        hold = check(actor, kind, premises, building, data)
        if hold is not None:
            return hold
    return None


# --- checks an app adds to a lifecycle action ------------------------------------------------

# An app may refuse an action on a case of its concern (a measurement booked outside the
# allowed window, a temperature case resolved without its signed record). The check is
# called under the case's lock, before the action changes anything, with what the action
# was given (``context``); it raises ValidationError to refuse.

ActionCheck = Callable[["Case", Any, datetime, Mapping[str, Any]], None]
_ACTION_CHECKS: dict[str, list[ActionCheck]] = defaultdict(list)


def register_action_check(action: str, check: ActionCheck) -> None:
    if check not in _ACTION_CHECKS[action]:
        _ACTION_CHECKS[action].append(check)


def check_action(
    action: str, case: "Case", *, actor: Any, now: datetime, context: Mapping[str, Any]
) -> None:
    for check in _ACTION_CHECKS[action]:
        check(case, actor, now, context)


# --- the technician's work page (/field/) ------------------------------------------------------

# Work another app puts on the technician's page besides their cases (the monitoring points
# due for a visit): context from the request, None to leave the section out.


@dataclass(frozen=True)
class FieldSection:
    key: str
    template: str
    context: Callable[["HttpRequest"], dict[str, Any] | None]
    order: int = 100


_FIELD_SECTIONS: dict[str, FieldSection] = {}


def register_field_section(section: FieldSection) -> None:
    _FIELD_SECTIONS[section.key] = section


def field_sections_for(request: "HttpRequest") -> tuple[list[str], dict[str, Any]]:
    """As ``sections_for``: the templates to include, in order, and their merged context."""
    templates: list[str] = []
    context: dict[str, Any] = {}
    for section in sorted(_FIELD_SECTIONS.values(), key=lambda s: s.order):
        extra = section.context(request)
        if extra is not None:
            templates.append(section.template)
            context.update(extra)
    return templates, context
