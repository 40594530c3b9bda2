"""Writes for major faults (R-306): reported at once with the leaders notified, the
affected area kept up to date, cases linked, analysed afterwards and the report texted
to the customers whose cases are linked."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.area.models import Building, Substation
from utilitydesk.cases.models import Case
from utilitydesk.cases.services import CLOCK_SKEW, note_on_case
from utilitydesk.knowledge.services import check_customer_text
from utilitydesk.notifications.services import notify_staff, send_sms
from utilitydesk.org.models import OrgUnit, Position
from utilitydesk.org.selectors import holders_of

from .models import MajorFault
from .selectors import fault_units_of, may_act_on_fault, visible_faults

FAULT_LEADERS = (
    Position.STATION_HEAD,
    Position.DEPARTMENT_HEAD,
    Position.DEPUTY_GM,
    Position.GENERAL_MANAGER,
)


def report_major_fault(
    *,
    actor: Actor,
    title: str,
    occurred_at: datetime,
    place: str,
    symptoms: str,
    response_plan: str,
    unit_ids: list[int],
    building_ids: Sequence[int] = (),
    substation_ids: Sequence[int] = (),
) -> MajorFault:
    if not actor.has_perm("outages.manage_major_fault"):
        raise PermissionDenied(_("You are not allowed to report major faults."))
    errors = {}
    for name, value in (
        ("title", title),
        ("place", place),
        ("symptoms", symptoms),
        ("response_plan", response_plan),
    ):
        if not (value or "").strip():
            errors[name] = [_("This field is required.")]
    units = list(OrgUnit.objects.filter(pk__in=unit_ids or []))
    if not units:
        errors["unit_ids"] = [_("Choose the responsible units to notify.")]
    own_units = fault_units_of(actor)
    if own_units is not None and any(unit.pk not in own_units for unit in units):
        errors["unit_ids"] = [_("You can report major faults of your own station only.")]
    if occurred_at and occurred_at > timezone.now() + CLOCK_SKEW:
        errors["occurred_at"] = [_("The time cannot be in the future.")]
    buildings, substations = _fault_area(building_ids, substation_ids, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fault = MajorFault.objects.create(
            title=title.strip(),
            occurred_at=occurred_at,
            place=place.strip(),
            symptoms=symptoms.strip(),
            response_plan=response_plan.strip(),
            reported_by=actor,
        )
        fault.units.set(units)
        fault.buildings.set(buildings)
        fault.substations.set(substations)
    leaders = {}
    for unit in units:
        for position in FAULT_LEADERS:
            for person in holders_of(position, unit):
                leaders[person.pk] = person
    notify_staff(
        leaders.values(),
        _("Major fault: %(title)s") % {"title": fault.title},
        _("%(time)s, %(place)s. Symptoms: %(symptoms)s. Response: %(plan)s")
        % {
            "time": timezone.localtime(fault.occurred_at).strftime("%Y-%m-%d %H:%M"),
            "place": fault.place,
            "symptoms": fault.symptoms,
            "plan": fault.response_plan,
        },
        link=fault.get_absolute_url(),
        reference=f"fault:{fault.pk}",
        dedupe_prefix=f"fault:{fault.pk}",
    )
    return fault


def _fault_area(
    building_ids: Iterable[int | str] | None,
    substation_ids: Iterable[int | str] | None,
    errors: dict[str, list[str]],
) -> tuple[list[Building], list[Substation]]:
    """The buildings and substations a fault names; unknown ids are refused."""
    building_ids = {int(pk) for pk in building_ids or ()}
    substation_ids = {int(pk) for pk in substation_ids or ()}
    buildings = list(Building.objects.filter(pk__in=building_ids))
    substations = list(Substation.objects.filter(pk__in=substation_ids))
    if len(buildings) != len(building_ids):
        errors["building_ids"] = [_("Unknown building.")]
    if len(substations) != len(substation_ids):
        errors["substation_ids"] = [_("Unknown substation.")]
    return buildings, substations


def set_fault_area(
    fault_id: int, *, actor: Actor, building_ids: list[int], substation_ids: list[int]
) -> MajorFault:
    """Change the affected area of an open fault (it often grows or shrinks as the
    crews learn more)."""
    errors: dict[str, list[str]] = {}
    buildings, substations = _fault_area(building_ids, substation_ids, errors)
    if not errors and not (buildings or substations):
        errors["building_ids"] = [_("Name the affected buildings or substations.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fault = _fault_to_act_on(fault_id, actor=actor, lock=True)
        if fault.state != MajorFault.State.OPEN:
            raise ValidationError({"state": [_("The fault is closed.")]})
        fault.buildings.set(buildings)
        fault.substations.set(substations)
    return fault


def _fault_to_act_on(fault_id: int, *, actor: Actor, lock: bool = False) -> MajorFault:
    """The fault, if the actor may see it (otherwise: unknown), and may act on it."""
    faults = visible_faults(actor)
    if lock:
        faults = faults.select_for_update()
    fault = faults.filter(pk=fault_id).first()
    if fault is None:
        raise MajorFault.DoesNotExist
    if not may_act_on_fault(actor, fault):
        raise PermissionDenied(_("Only the units named in the major fault can do this."))
    return fault


def link_case_to_fault(number: str, fault_id: int, *, actor: Actor) -> Case:
    """Link a case to an open fault: a note on the case's timeline, checked and locked
    like every case action (cases.services.note_on_case)."""
    if not actor.has_perm("outages.manage_major_fault"):
        raise PermissionDenied(_("You are not allowed to do this."))
    fault = visible_faults(actor).filter(pk=fault_id, state=MajorFault.State.OPEN).first()
    if fault is None:
        raise ValidationError({"fault_id": [_("Unknown major fault.")]})

    def apply(case: Case) -> dict[str, Any]:
        case.major_fault = fault
        return {"fault_id": fault.pk}

    return note_on_case(
        number, _("Linked to major fault: %(t)s") % {"t": fault.title}, apply, actor=actor
    )


def close_major_fault(
    fault_id: int,
    *,
    actor: Actor,
    impact: str,
    handling: str,
    root_cause: str,
    corrective_actions: str,
    preventive_actions: str,
) -> MajorFault:
    if not actor.has_perm("outages.manage_major_fault"):
        raise PermissionDenied(_("You are not allowed to analyse major faults."))
    values = {
        "impact": impact,
        "handling": handling,
        "root_cause": root_cause,
        "corrective_actions": corrective_actions,
        "preventive_actions": preventive_actions,
    }
    errors = {k: [_("This field is required.")] for k, v in values.items() if not (v or "").strip()}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fault = _fault_to_act_on(fault_id, actor=actor, lock=True)
        if fault.state == MajorFault.State.CLOSED:
            raise ValidationError({"state": [_("The analysis is already recorded.")]})
        for key, value in values.items():
            setattr(fault, key, value.strip())
        fault.state = MajorFault.State.CLOSED
        fault.closed_at = timezone.now()
        fault.save()
    return fault


def share_fault_report(fault_id: int, *, actor: Actor) -> int:
    """Tell every customer with a linked case what happened (R-306); once per case."""
    if not actor.has_perm("outages.manage_major_fault"):
        raise PermissionDenied(_("You are not allowed to do this."))
    fault = _fault_to_act_on(fault_id, actor=actor)
    if fault.state != MajorFault.State.CLOSED:
        raise ValidationError({"state": [_("Record the fault analysis before sharing it.")]})
    text = _(
        "About the %(title)s: cause: %(cause)s; what we changed: %(actions)s. We apologise for the inconvenience."
    ) % {"title": fault.title, "cause": fault.root_cause, "actions": fault.corrective_actions}
    check_customer_text(text)
    sent = 0
    for case in fault.cases.exclude(caller_phone=""):
        if send_sms(
            case.caller_phone,
            text,
            reference=f"fault:{fault.pk}",
            dedupe_key=f"fault-report:{fault.pk}:{case.pk}",
        ):
            sent += 1
    MajorFault.objects.filter(pk=fault.pk).update(report_shared_at=timezone.now())
    return sent
