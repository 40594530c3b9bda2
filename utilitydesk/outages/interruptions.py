"""Writes for supply interruptions (R-801, R-807, R-401; docs/outages.md): recorded as a
draft, announced (scope materialised, every phone of every affected customer queued a
notice), started, restoration moved (a new notice), restored (the final notice, linked
cases closed, R-807 days marked), closed. Each step locks the interruption, checks its
state, writes a numbered timeline event, in one transaction."""

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.area.models import Building, Source, Substation, Utility
from utilitydesk.callbacks.services import request_callback
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Contact, Kind, Status
from utilitydesk.notifications.defaults import (
    OUTAGE_PLANNED,
    OUTAGE_RESTORATION_CHANGED,
    OUTAGE_RESTORED,
    OUTAGE_UNPLANNED,
)
from utilitydesk.notifications.services import notify_staff, queue_customer_notices
from utilitydesk.org.models import OrgUnit, Position
from utilitydesk.org.selectors import everyone_holding, holders_of
from utilitydesk.policy.services import current_policy

from . import interruption_scope as scopes
from .interruption_scope import Scope
from .interruption_selectors import (
    linkable_interruption,
    may_manage,
    policy_value,
    reference_of,
    restored_recently,
    visible_interruptions,
)
from .models import (
    ACTIVE_STATES,
    AffectedPremises,
    Interruption,
    InterruptionAction,
    InterruptionEvent,
    InterruptionKind,
    InterruptionLink,
    InterruptionNumberCounter,
    InterruptionState,
    InterruptionUnit,
    MajorFault,
    SpecialCareCall,
)

S = InterruptionState
A = InterruptionAction

# Calls about supply: linked to an interruption covering the caller, or, soon after its
# restoration, a new fault that flags it.
SUPPLY_KINDS = {Kind.REPAIR, Kind.TEMPERATURE}

CLOCK_SKEW = timedelta(minutes=2)
TITLE_MAX = 200
UNIT_NO_MAX = 16

# The "because of …" of a notice, per kind: customer text, in Chinese like the notice
# templates themselves (notifications/defaults.py); "other" uses the title.
NOTICE_REASONS: dict[str, str] = {
    InterruptionKind.MAINTENANCE: "供热设施计划检修",
    InterruptionKind.PIPE_BURST: "管道抢修",
    InterruptionKind.SOURCE_FAILURE: "热源故障",
    InterruptionKind.POWER_CUT: "外部电力中断",
    InterruptionKind.WATER_CUT: "外部供水中断",
}
SERVICE_WORDS: dict[str, str] = {Utility.HEAT: "热", Utility.GAS: "气", Utility.WATER: "水"}


class InterruptionConflict(Exception):
    """Someone else changed the interruption first."""


@dataclass
class InterruptionInput:
    kind: str
    title: str
    start_at: datetime
    expected_restoration_at: datetime
    planned: bool = False
    utility: str = Utility.HEAT
    description: str = ""
    source_ids: Sequence[int] = ()
    substation_ids: Sequence[int] = ()
    building_ids: Sequence[int] = ()
    units: Sequence[tuple[int, str]] = field(default_factory=tuple)
    major_fault_id: int | None = None

    @property
    def scope(self) -> Scope:
        return Scope(
            source_ids=[int(pk) for pk in self.source_ids],
            substation_ids=[int(pk) for pk in self.substation_ids],
            building_ids=[int(pk) for pk in self.building_ids],
            units=[(int(b), str(u).strip()) for b, u in self.units],
        )


# --- numbering and the timeline ------------------------------------------------------------


def allocate_number(now: datetime) -> str:
    """TD + local date + a 5-digit daily sequence (TD2026112400001); its own short
    transaction, so a failed recording leaves a gap, never a duplicate."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO outages_interruptionnumbercounter (day, last) VALUES (%s, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = outages_interruptionnumbercounter.last + 1 "
                "RETURNING last",
                [day],
            )
            value = cursor.fetchone()[0]
    else:
        with transaction.atomic():
            counter, _created = InterruptionNumberCounter.objects.select_for_update().get_or_create(
                day=day
            )
            InterruptionNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
            value = counter.last + 1
    return f"TD{day}{value:05d}"


def _event(
    interruption: Interruption,
    action: str,
    *,
    actor: Any,
    now: datetime,
    note: str = "",
    **data: Any,
) -> InterruptionEvent:
    """The next numbered step of the timeline (the interruption row is locked)."""
    interruption.last_event_seq += 1
    Interruption.objects.filter(pk=interruption.pk).update(
        last_event_seq=interruption.last_event_seq
    )
    return InterruptionEvent.objects.create(
        interruption=interruption,
        seq=interruption.last_event_seq,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        note=note,
        data=data,
    )


# --- recording ------------------------------------------------------------------------------


def _clean_scope(scope: Scope, errors: dict[str, list[str]]) -> None:
    if scope.empty:
        errors["scope"] = [_("Choose the affected sources, substations, buildings or units.")]
        return
    for name, model, ids in (
        ("source_ids", Source, scope.source_ids),
        ("substation_ids", Substation, scope.substation_ids),
        ("building_ids", Building, list(scope.building_ids) + [b for b, _u in scope.units]),
    ):
        wanted = set(ids)
        if wanted and model.objects.filter(pk__in=wanted).count() != len(wanted):
            errors[name if name != "building_ids" or scope.building_ids else "units"] = [
                _("Unknown item in the scope.")
            ]
    for _building, unit_no in scope.units:
        if not unit_no or len(unit_no) > UNIT_NO_MAX:
            errors["units"] = [_("Give each unit's number (at most 16 characters).")]


def _station_of(scope: Scope, actor: Any, errors: dict[str, list[str]]) -> OrgUnit | None:
    """The station answering for the scope: the one all of it belongs to (None when it
    spans stations: a company-wide interruption). Station positions record their own."""
    stations = scopes.stations_of(scope)
    station = OrgUnit.objects.get(pk=stations.pop()) if len(stations) == 1 else None
    if not may_manage(actor, Interruption(station=station)):
        errors["scope"] = [_("You can record interruptions of your own station only.")]
    return station


def _clean_input(data: InterruptionInput, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.kind not in InterruptionKind.values:
        errors["kind"] = [_("Unknown kind of interruption.")]
    if data.utility not in Utility.values:
        errors["utility"] = [_("Unknown utility.")]
    if not (data.title or "").strip():
        errors["title"] = [_("This field is required.")]
    elif len(data.title.strip()) > TITLE_MAX:
        errors["title"] = [_("At most %(n)d characters.") % {"n": TITLE_MAX}]
    for name in ("start_at", "expected_restoration_at"):
        value = getattr(data, name)
        if value is None:
            errors[name] = [_("This field is required.")]
        elif timezone.is_naive(value):
            setattr(data, name, timezone.make_aware(value))
    times_given = not (errors.get("start_at") or errors.get("expected_restoration_at"))
    if times_given and data.expected_restoration_at <= data.start_at:
        errors["expected_restoration_at"] = [_("Restoration must come after the start.")]
    if not data.planned and data.start_at and data.start_at > now + timedelta(days=7):
        errors["start_at"] = [_("An unplanned interruption starts now or soon.")]
    return errors


def create_interruption(data: InterruptionInput, *, actor: Any, now: datetime) -> Interruption:
    """Record a draft. Unplanned: its notices are due within the policy's hours of now."""
    if not may_manage(actor):
        raise PermissionDenied(_("You are not allowed to record supply interruptions."))
    errors = _clean_input(data, now)
    scope = data.scope
    _clean_scope(scope, errors)
    station = (
        None
        if errors.keys() & {"scope", "source_ids", "substation_ids", "building_ids", "units"}
        else _station_of(scope, actor, errors)
    )
    fault = None
    if data.major_fault_id:
        fault = MajorFault.objects.filter(pk=data.major_fault_id).first()
        if fault is None:
            errors["major_fault_id"] = [_("Unknown major fault.")]
    if errors:
        raise ValidationError(errors)
    policy = current_policy()
    number = allocate_number(now)
    with transaction.atomic():
        interruption = Interruption.objects.create(
            number=number,
            utility=data.utility,
            planned=data.planned,
            kind=data.kind,
            title=data.title.strip(),
            description=(data.description or "").strip(),
            station=station,
            major_fault=fault,
            start_at=data.start_at,
            expected_restoration_at=data.expected_restoration_at,
            recorded_at=now,
            recorded_by=actor,
            policy=policy,
            notice_due_at=(
                None
                if data.planned
                else now + timedelta(hours=policy_value(policy, "outage_unplanned_notice_hours"))
            ),
        )
        _set_scope(interruption, scope)
        counts = scopes.preview(scope)
        _event(
            interruption,
            A.CREATED,
            actor=actor,
            now=now,
            premises=counts.premises,
            customers=counts.customers,
        )
    return interruption


def _set_scope(interruption: Interruption, scope: Scope) -> None:
    interruption.sources.set(list(scope.source_ids))
    interruption.substations.set(list(scope.substation_ids))
    interruption.buildings.set(list(scope.building_ids))
    interruption.units.all().delete()
    InterruptionUnit.objects.bulk_create(
        [
            InterruptionUnit(interruption=interruption, building_id=b, unit_no=u)
            for b, u in dict.fromkeys(scope.units)
        ]
    )


def _locked(interruption_id: int, actor: Any, expected_version: int | None = None) -> Interruption:
    """The interruption, locked, if the actor may see it and act on it."""
    interruption = (
        visible_interruptions(actor).select_for_update().filter(pk=interruption_id).first()
    )
    if interruption is None:
        raise Interruption.DoesNotExist
    if not may_manage(actor, interruption):
        raise PermissionDenied(_("You are not allowed to run this interruption."))
    if expected_version is not None and interruption.version != expected_version:
        raise InterruptionConflict(
            _("Interruption %(number)s was changed meanwhile (now: %(state)s). Reload it.")
            % {"number": interruption.number, "state": interruption.get_state_display()}
        )
    return interruption


def _require_state(interruption: Interruption, *states: str) -> None:
    if interruption.state not in states:
        raise ValidationError(
            {
                "state": [
                    _("Not possible while the interruption is “%(state)s”.")
                    % {"state": interruption.get_state_display()}
                ]
            }
        )


def _save(interruption: Interruption, *fields: str) -> None:
    interruption.version += 1
    interruption.save(update_fields=[*fields, "version"])


def change_scope(
    interruption_id: int,
    scope: Scope,
    *,
    actor: Any,
    now: datetime,
    expected_version: int | None = None,
) -> Interruption:
    """A draft's scope, chosen again."""
    errors: dict[str, list[str]] = {}
    _clean_scope(scope, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        _require_state(interruption, S.DRAFT)
        station = _station_of(scope, actor, errors)
        if errors:
            raise ValidationError(errors)
        _set_scope(interruption, scope)
        interruption.station = station
        _save(interruption, "station")
        counts = scopes.preview(scope)
        _event(interruption, A.SCOPE_CHANGED, actor=actor, now=now, premises=counts.premises)
    return interruption


# --- notices ------------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%m月%d日%H:%M") if moment else ""


def notice_params(interruption: Interruption, **extra: str) -> dict[str, str]:
    """The values of the outage notice templates (notifications/defaults.py), in Chinese."""
    params = {
        "area": scopes.describe(Scope.of(interruption)) or interruption.title,
        "service": SERVICE_WORDS.get(interruption.utility, "热"),
        "reason": NOTICE_REASONS.get(interruption.kind, interruption.title),
        "start": _local(interruption.start_at),
        "end": _local(interruption.expected_restoration_at),
        "restored": _local(interruption.actual_restoration_at),
        "hotline": settings.OUTAGE_NOTICE_HOTLINE,
    }
    params.update(extra)
    return params


def _queue(
    interruption: Interruption,
    *,
    event_key: str,
    template_code: str,
    actor: Any,
    now: datetime,
    **extra: str,
) -> int:
    queued = queue_customer_notices(
        reference=reference_of(interruption),
        event_key=event_key,
        template_code=template_code,
        params=notice_params(interruption, **extra),
        recipients=scopes.affected_phones(interruption),
        actor=actor,
        now=now,
    )
    Interruption.objects.filter(pk=interruption.pk).update(
        notices_queued=F("notices_queued") + queued
    )
    interruption.notices_queued += queued
    return queued


# --- the lifecycle ------------------------------------------------------------------------------


def _lead(interruption: Interruption) -> timedelta:
    return timedelta(hours=policy_value(interruption.policy, "outage_notice_lead_hours"))


def _override(interruption: Interruption, reason: str, *, actor: Any, now: datetime) -> None:
    interruption.override_reason = reason
    interruption.override_by = actor
    interruption.override_at = now
    _event(interruption, A.OVERRIDE, actor=actor, now=now, note=reason)


def announce(
    interruption_id: int,
    *,
    actor: Any,
    now: datetime,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Interruption:
    """Materialise the scope and queue the notices. A planned interruption must start at
    least the policy's lead (48 h) after its notices, unless an emergency override gives
    a reason (recorded, and listed among the overrides). An unplanned one already under
    way is started at once."""
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        _require_state(interruption, S.DRAFT)
        lead = _lead(interruption)
        fields = ["state", "announced_at", "notices_sent_at"]
        if interruption.planned and interruption.start_at < now + lead:
            if not override_reason:
                raise ValidationError(
                    {
                        "start_at": [
                            _(
                                "A planned interruption starts at least %(hours)d hours after its notices (earliest: %(earliest)s). Move the start, or give the reason for an emergency override."
                            )
                            % {
                                "hours": lead.total_seconds() // 3600,
                                "earliest": timezone.localtime(now + lead).strftime(
                                    "%Y-%m-%d %H:%M"
                                ),
                            }
                        ]
                    }
                )
            _override(interruption, override_reason, actor=actor, now=now)
            fields += ["override_reason", "override_by", "override_at"]
        written = scopes.materialise(interruption, Scope.of(interruption))
        if not written and not AffectedPremises.objects.filter(interruption=interruption).exists():
            raise ValidationError({"scope": [_("No premises lie inside this scope.")]})
        counts = scopes.affected_counts(interruption)
        interruption.premises_count = counts.premises
        interruption.customers_count = counts.customers
        interruption.special_care_count = counts.special_care
        fields += ["premises_count", "customers_count", "special_care_count"]
        interruption.state = S.ANNOUNCED
        interruption.announced_at = interruption.notices_sent_at = now
        queued = _queue(
            interruption,
            event_key="announced",
            template_code=OUTAGE_PLANNED if interruption.planned else OUTAGE_UNPLANNED,
            actor=actor,
            now=now,
        )
        _event(
            interruption,
            A.ANNOUNCED,
            actor=actor,
            now=now,
            premises=counts.premises,
            customers=counts.customers,
            special_care=counts.special_care,
            notices=queued,
            late=bool(interruption.notice_due_at and now > interruption.notice_due_at),
        )
        if not interruption.planned and interruption.start_at <= now:
            interruption.state = S.IN_PROGRESS
            interruption.started_at = interruption.start_at
            fields.append("started_at")
            _event(interruption, A.STARTED, actor=actor, now=now)
        _save(interruption, *fields)
    return interruption


def start(
    interruption_id: int,
    *,
    actor: Any,
    now: datetime,
    override_reason: str = "",
    expected_version: int | None = None,
) -> Interruption:
    """Supply is stopped. A planned interruption not before the lead after its notices,
    unless overridden (at announcement or now, with a reason)."""
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        _require_state(interruption, S.ANNOUNCED)
        fields = ["state", "started_at"]
        sent = interruption.notices_sent_at or now
        if (
            interruption.planned
            and now < sent + _lead(interruption)
            and not interruption.override_at
        ):
            if not override_reason:
                raise ValidationError(
                    {
                        "override_reason": [
                            _(
                                "Its notices went out less than %(hours)d hours ago: give the reason for an emergency override."
                            )
                            % {"hours": _lead(interruption).total_seconds() // 3600}
                        ]
                    }
                )
            _override(interruption, override_reason, actor=actor, now=now)
            fields += ["override_reason", "override_by", "override_at"]
        interruption.state = S.IN_PROGRESS
        interruption.started_at = now
        _event(interruption, A.STARTED, actor=actor, now=now)
        _save(interruption, *fields)
    return interruption


def move_restoration(
    interruption_id: int,
    *,
    expected_restoration_at: datetime,
    reason: str,
    actor: Any,
    now: datetime,
    expected_version: int | None = None,
) -> Interruption:
    """The expected restoration changes: every affected phone gets a new notice."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the restoration time changes.")]
    if expected_restoration_at is None:
        errors["expected_restoration_at"] = [_("This field is required.")]
    elif timezone.is_naive(expected_restoration_at):
        expected_restoration_at = timezone.make_aware(expected_restoration_at)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        _require_state(interruption, S.ANNOUNCED, S.IN_PROGRESS)
        if expected_restoration_at <= max(interruption.start_at, now - CLOCK_SKEW):
            raise ValidationError(
                {"expected_restoration_at": [_("Restoration must come after the start and now.")]}
            )
        if expected_restoration_at == interruption.expected_restoration_at:
            raise ValidationError(
                {"expected_restoration_at": [_("This is the restoration time already announced.")]}
            )
        before = interruption.expected_restoration_at
        interruption.expected_restoration_at = expected_restoration_at
        event = _event(
            interruption,
            A.RESTORATION_MOVED,
            actor=actor,
            now=now,
            note=reason,
            before=before.isoformat(),
            after=expected_restoration_at.isoformat(),
        )
        queued = _queue(
            interruption,
            event_key=f"moved:{event.seq}",
            template_code=OUTAGE_RESTORATION_CHANGED,
            actor=actor,
            now=now,
            reason=reason,
        )
        event.data["notices"] = queued
        event.save(update_fields=["data"])
        _save(interruption, "expected_restoration_at")
    return interruption


def restore(
    interruption_id: int,
    *,
    note: str,
    actor: Any,
    now: datetime,
    restored_at: datetime | None = None,
    expected_version: int | None = None,
) -> Interruption:
    """Supply is back: the final notice to every affected phone, the linked cases closed
    through the case engine with the restoration note, R-807's days marked when it lasted
    the policy's hours. Two dispatchers restoring at once: the second waits for the lock,
    then finds it restored (one restoration, one set of notices)."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Write the restoration note.")]})
    restored_at = restored_at or now
    if timezone.is_naive(restored_at):
        restored_at = timezone.make_aware(restored_at)
    if restored_at > now + CLOCK_SKEW:
        raise ValidationError({"restored_at": [_("The time cannot be in the future.")]})
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        if interruption.state in (S.RESTORED, S.CLOSED):
            raise ValidationError({"state": [_("The interruption is already restored.")]})
        _require_state(interruption, S.IN_PROGRESS)
        began = interruption.started_at or interruption.start_at
        if restored_at < began:
            raise ValidationError({"restored_at": [_("Restoration must come after the start.")]})
        interruption.state = S.RESTORED
        interruption.actual_restoration_at = restored_at
        interruption.restoration_note = note
        interruption.restored_by = actor
        fields = ["state", "actual_restoration_at", "restoration_note", "restored_by"]
        _event(interruption, A.RESTORED, actor=actor, now=now, note=note)
        _queue(
            interruption,
            event_key="restored",
            template_code=OUTAGE_RESTORED,
            actor=actor,
            now=now,
        )
        hours = (restored_at - began).total_seconds() / 3600
        if hours >= policy_value(interruption.policy, "outage_reduction_hours"):
            interruption.reduction_eligible = True
            interruption.reduction_days = math.ceil(hours / 24)
            fields += ["reduction_eligible", "reduction_days"]
            AffectedPremises.objects.filter(interruption=interruption).update(
                reduction_days=interruption.reduction_days
            )
        _save(interruption, *fields)
        _close_linked_cases(interruption, note=note, actor=actor, now=now)
    return interruption


def called_back(number: str, share: Any) -> bool:
    """A stable choice per case of the policy's share of settled calls called back."""
    ratio = float(share)
    if ratio >= 1:
        return True
    if ratio <= 0:
        return False
    digest = int(hashlib.sha256(number.encode()).hexdigest()[:8], 16)
    return digest % 10_000 < ratio * 10_000


def _close_linked_cases(
    interruption: Interruption, *, note: str, actor: Any, now: datetime
) -> None:
    """Settle every linked repair or temperature call through the case engine (closed
    because its cause was dealt with: the restoration), each in its own savepoint — one
    the restorer may not close (on site, outside their area) is left open and listed —
    and ask the policy's share of them to be called back (did supply really return?)."""
    text = _("Supply restored (%(number)s): %(note)s") % {
        "number": interruption.number,
        "note": note,
    }
    share = policy_value(interruption.policy, "outage_callback_share")
    closed: list[str] = []
    left: list[str] = []
    callbacks: list[str] = []
    links = (
        InterruptionLink.objects.filter(
            interruption=interruption,
            kind=InterruptionLink.Kind.LINKED,
            case__isnull=False,
            case__kind__in=list(SUPPLY_KINDS),
        )
        .exclude(case__status__in=[Status.CLOSED, Status.CANCELLED])
        .select_related("case")
        .order_by("pk")
    )
    for link in links:
        case = link.case
        if case is None:  # filtered above; for the type checker
            continue
        try:
            with transaction.atomic():
                settled = case_services.settle(number=case.number, note=text, actor=actor, now=now)
                if called_back(settled.number, share):
                    request_callback(settled, actor=actor, now=now)
                    callbacks.append(settled.number)
        except (PermissionDenied, ValidationError, case_services.ConflictError):
            left.append(case.number)
        else:
            closed.append(case.number)
    if closed or left:
        _event(
            interruption,
            A.CASES_CLOSED,
            actor=actor,
            now=now,
            closed=closed,
            left_open=left,
            callbacks=callbacks,
        )


def close(
    interruption_id: int,
    *,
    actor: Any,
    now: datetime,
    note: str = "",
    expected_version: int | None = None,
) -> Interruption:
    with transaction.atomic():
        interruption = _locked(interruption_id, actor, expected_version)
        _require_state(interruption, S.RESTORED)
        interruption.state = S.CLOSED
        interruption.closed_at = now
        _event(interruption, A.CLOSED, actor=actor, now=now, note=(note or "").strip())
        _save(interruption, "state", "closed_at")
    return interruption


# --- special care (R-103) --------------------------------------------------------------------


def record_care_call(
    interruption_id: int,
    *,
    customer_id: int,
    outcome: str,
    note: str = "",
    actor: Any,
    now: datetime,
) -> SpecialCareCall:
    """A special-care household of the scope was phoned (or tried)."""
    if outcome not in SpecialCareCall.Outcome.values:
        raise ValidationError({"outcome": [_("Choose the result of the call.")]})
    with transaction.atomic():
        interruption = (
            visible_interruptions(actor).select_for_update().filter(pk=interruption_id).first()
        )
        if interruption is None:
            raise Interruption.DoesNotExist
        if not (may_manage(actor, interruption) or actor.has_perm("cases.add_contact")):
            raise PermissionDenied(_("You are not allowed to do this."))
        if not AffectedPremises.objects.filter(
            interruption=interruption, customer_id=customer_id, special_care=True
        ).exists():
            raise ValidationError(
                {"customer_id": [_("This household is not on the special-care list.")]}
            )
        call = SpecialCareCall.objects.create(
            interruption=interruption,
            customer_id=customer_id,
            outcome=outcome,
            note=(note or "").strip()[:500],
            called_by=actor,
            called_at=now,
        )
        _event(
            interruption,
            A.SPECIAL_CARE_CALL,
            actor=actor,
            now=now,
            note=call.note,
            customer_id=customer_id,
            outcome=outcome,
        )
    return call


# --- calls about an interruption ---------------------------------------------------------------


def _link(
    interruption: Interruption,
    case: Case,
    *,
    kind: str,
    actor: Any,
    now: datetime,
    contact: Contact | None = None,
) -> InterruptionLink | None:
    """Record the link (once per case) and count it; the interruption row is locked."""
    if InterruptionLink.objects.filter(interruption=interruption, case=case).exists():
        return None
    link = InterruptionLink.objects.create(
        interruption=interruption,
        kind=kind,
        case=case,
        contact=contact,
        customer_id=case.customer_id,
        linked_at=now,
        linked_by=actor if getattr(actor, "pk", None) else None,
    )
    if kind == InterruptionLink.Kind.LINKED:
        interruption.linked_calls += 1
        _event(interruption, A.CALL_LINKED, actor=actor, now=now, case=case.number)
        _save(interruption, "linked_calls")
    else:
        interruption.calls_after_restoration += 1
        interruption.flagged_at = interruption.flagged_at or now
        _event(interruption, A.CALL_AFTER_RESTORATION, actor=actor, now=now, case=case.number)
        _save(interruption, "calls_after_restoration", "flagged_at")
    return link


def _no_active(field_name: str) -> ValidationError:
    return ValidationError(
        {field_name: [_("The place is not inside an active interruption of that number.")]}
    )


def link_call(
    interruption_id: int, case: Case, *, actor: Any, now: datetime, contact: Contact | None = None
) -> InterruptionLink | None:
    """A new call about an active interruption covering its place (the intake's default
    for calls from inside the scope): linked and counted, inside the call's transaction."""
    with transaction.atomic():
        found = linkable_id(interruption_id, case)
        interruption = (
            Interruption.objects.select_for_update().filter(pk=found).first() if found else None
        )
        if interruption is None or interruption.state not in ACTIVE_STATES:
            raise _no_active(NON_FIELD_ERRORS)
        return _link(
            interruption,
            case,
            kind=InterruptionLink.Kind.LINKED,
            actor=actor,
            now=now,
            contact=contact,
        )


def linkable_id(interruption_id: int, case: Case) -> int | None:
    found = linkable_interruption(None, interruption_id, case.premises_id, case.building_id)
    return found.pk if found else None


def link_case(interruption_id: int, *, number: str, actor: Any, now: datetime) -> Case:
    """Link an existing case (the case page's form): a note on its timeline through the
    case engine, and the link counted on the interruption. Locks the interruption, then
    the case: the order restoration takes them in."""
    with transaction.atomic():
        interruption = (
            visible_interruptions(actor).select_for_update().filter(pk=interruption_id).first()
        )
        if interruption is None or interruption.state not in ACTIVE_STATES:
            raise _no_active("interruption_id")
        if not (may_manage(actor, interruption) or actor.has_perm("cases.add_contact")):
            raise PermissionDenied(_("You are not allowed to do this."))

        def change(case: Case) -> dict[str, Any]:
            if linkable_id(interruption.pk, case) is None:
                raise _no_active("interruption_id")
            if not _link(
                interruption, case, kind=InterruptionLink.Kind.LINKED, actor=actor, now=now
            ):
                raise ValidationError(
                    {"interruption_id": [_("The case is already linked to this interruption.")]}
                )
            return {"interruption": interruption.number}

        return case_services.note_on_case(
            actor=actor,
            number=number,
            note=_("Linked to supply interruption %(number)s: %(title)s")
            % {"number": interruption.number, "title": interruption.title},
            change=change,
        )


def flag_call_after_restoration(case: Case, *, actor: Any, now: datetime) -> list[Interruption]:
    """A call about no supply from a scope restored within the policy's hours: the case
    goes on as a normal repair; each such interruption is flagged and counts it."""
    flagged = []
    for found in restored_recently(case.premises_id, case.building_id, now):
        with transaction.atomic():
            interruption = Interruption.objects.select_for_update().get(pk=found.pk)
            if _link(
                interruption,
                case,
                kind=InterruptionLink.Kind.AFTER_RESTORATION,
                actor=actor,
                now=now,
            ):
                flagged.append(interruption)
    return flagged


# --- the notice deadline of unplanned interruptions ------------------------------------------


def _escalation_recipients(interruption: Interruption) -> list[Any]:
    people: dict[int, Any] = {}
    if interruption.station is not None:
        for person in holders_of(Position.STATION_HEAD, interruption.station):
            people[person.pk] = person
    for person in everyone_holding(Position.SERVICE_OFFICE):
        people[person.pk] = person
    return list(people.values())


def sweep_notice_deadlines(*, now: datetime) -> int:
    """Unplanned interruptions whose notices are overdue: escalated once each (an inbox
    message to the station head and the service office, and a timeline event). Returns
    how many were escalated."""
    due = list(
        Interruption.objects.filter(
            planned=False,
            notices_sent_at__isnull=True,
            notice_escalated_at__isnull=True,
            notice_due_at__lte=now,
        )
        .exclude(state=S.CLOSED)
        .values_list("pk", flat=True)[:500]
    )
    escalated = 0
    for pk in due:
        with transaction.atomic():
            interruption = (
                Interruption.objects.select_for_update(of=("self",))
                .filter(pk=pk, notices_sent_at__isnull=True, notice_escalated_at__isnull=True)
                .select_related("station")
                .first()
            )
            if interruption is None:
                continue
            interruption.notice_escalated_at = now
            late = now - (interruption.notice_due_at or now)
            _event(
                interruption,
                A.NOTICE_LATE,
                actor=None,
                now=now,
                minutes_late=int(late.total_seconds() // 60),
            )
            _save(interruption, "notice_escalated_at")
            notify_staff(
                _escalation_recipients(interruption),
                _("Interruption notices overdue: %(number)s") % {"number": interruption.number},
                _(
                    "%(title)s: the customers were to be told by %(due)s and have not been. Announce it now."
                )
                % {
                    "title": interruption.title,
                    "due": timezone.localtime(interruption.notice_due_at).strftime("%m-%d %H:%M")
                    if interruption.notice_due_at
                    else "",
                },
                link=interruption.get_absolute_url(),
                reference=reference_of(interruption),
                dedupe_prefix=f"interruption-late:{interruption.pk}",
            )
            escalated += 1
    return escalated
