"""Writes for duty and handover (R-1001, R-1002, R-206; docs/duty.md): rosters drafted,
checked and published, substitutes, the duty log (a major event reported to the director at
once) and the handover both shifts sign."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.names import display_name
from utilitydesk.accounts.typing import Actor
from utilitydesk.cases.services import CLOCK_SKEW
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import OrgUnit, Position
from utilitydesk.org.selectors import holders_of
from utilitydesk.policy import services as policy
from utilitydesk.policy.models import PolicyVersion

from . import selectors
from .models import (
    MINUTES_PER_DAY,
    DutyLogEntry,
    DutyRole,
    Handover,
    HandoverRefusal,
    HandoverStatus,
    LogKind,
    RefusalCondition,
    Roster,
    RosterEntry,
    RosterStatus,
    Shift,
)
from .selectors import KEEP_LOG, PUBLISH_ROSTER

User = get_user_model()

# A roster is written for at most this many days at once (a month, or a little more).
MAX_PERIOD_DAYS = 62
# Roles whose people answer the hotline (R-206 counts them); the manager on duty does not.
HOTLINE_ROLES = (DutyRole.AGENT, DutyRole.SHIFT_LEADER)


def _require(actor: Actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You are not allowed to do this."))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _day_list(days: Iterable[date]) -> str:
    return "、".join(f"{d:%Y-%m-%d}" for d in days)


def _not_rosterable(role: str) -> str:
    """Why someone may not take a ``role`` on the roster (``selectors.may_be_rostered``)."""
    if role == DutyRole.MANAGER:
        return _("A manager on duty must be a department head or above.")
    return _("The person does not work in this service centre.")


# --- rosters ---------------------------------------------------------------------------


def create_roster(
    unit_id: int, first: date, last: date, *, actor: Actor, now: datetime | None = None
) -> Roster:
    """A draft roster of a service centre for ``first`` – ``last`` (or the one there is)."""
    _require(actor, PUBLISH_ROSTER)
    now = now or timezone.now()
    unit = selectors.duty_units().filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError({"unit": [_("Choose a service centre.")]})
    if last < first or (last - first).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"period_end": [_("A roster covers one month at most.")]})
    with transaction.atomic():
        roster, _created = Roster.objects.get_or_create(
            unit=unit,
            period_start=first,
            defaults={"period_end": last, "created_by": actor, "created_at": now},
        )
    return roster


def _draft(roster_id: int) -> Roster:
    roster = Roster.objects.select_for_update().select_related("unit").get(pk=roster_id)
    if roster.status != RosterStatus.DRAFT:
        raise ValidationError(
            {"roster": [_("The roster is published: only substitutes can be arranged.")]}
        )
    return roster


def add_entries(
    roster_id: int,
    *,
    first_day: date,
    last_day: date | None = None,
    shift_id: int,
    person_id: int,
    role: str,
    actor: Actor,
    now: datetime | None = None,
) -> list[RosterEntry]:
    """Put a person on a shift for a day, or for each day of ``first_day`` – ``last_day``
    (days where they already are on that shift are left as they are)."""
    _require(actor, PUBLISH_ROSTER)
    last_day = last_day or first_day
    errors: dict[str, list[str]] = {}
    shift = Shift.objects.filter(pk=shift_id, is_active=True).first()
    person = User.objects.filter(pk=person_id).first()
    if shift is None:
        errors["shift"] = [_("Choose a shift.")]
    if person is None:
        errors["person"] = [_("Choose a person.")]
    if role not in DutyRole.values:
        errors["role"] = [_("Choose a role.")]
    if last_day < first_day:
        errors["last_day"] = [_("The last day cannot be before the first.")]
    with transaction.atomic():
        roster = _draft(roster_id)
        if not (roster.period_start <= first_day <= roster.period_end):
            errors["first_day"] = [_("The day is outside the roster's period.")]
        elif not (roster.period_start <= last_day <= roster.period_end):
            errors["last_day"] = [_("The day is outside the roster's period.")]
        if (
            person is not None
            and role in DutyRole.values
            and not selectors.may_be_rostered(person, roster.unit, role)
        ):
            errors["person"] = [_not_rosterable(role)]
        if errors or shift is None or person is None:
            raise ValidationError(errors)
        present = set(
            roster.entries.filter(
                shift=shift, person=person, day__range=(first_day, last_day)
            ).values_list("day", flat=True)
        )
        created = RosterEntry.objects.bulk_create(
            [
                RosterEntry(roster=roster, day=day, shift=shift, person=person, role=role)
                for day in _days(first_day, last_day)
                if day not in present
            ]
        )
    return created


def remove_entry(entry_id: int, *, actor: Actor, now: datetime | None = None) -> None:
    _require(actor, PUBLISH_ROSTER)
    with transaction.atomic():
        entry = RosterEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            return
        _draft(entry.roster_id)
        entry.delete()


def _covered(shift_list: Iterable[Shift]) -> list[tuple[int, int]]:
    """The merged minutes of the clock the shifts cover."""
    spans = sorted(span for shift in shift_list for span in shift.minutes())
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _covers(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def roster_problems(roster: Roster, policy_version: PolicyVersion | None = None) -> list[str]:
    """Why the roster cannot be published, one message per rule listing the days:
    R-1001 (a manager on duty on every statutory holiday) and R-206 (agents around the
    clock on heating-season days; during the hotline hours on other working days)."""
    policy_version = policy_version or policy.current_policy()
    days = _days(roster.period_start, roster.period_end)
    problems: list[str] = []
    years = {d.year for d in days}
    if missing := sorted(y for y in years if not policy.calendar_loaded(y)):
        problems.append(
            _(
                "The working-day calendar for %(years)s is not loaded: the holidays cannot be checked."
            )
            % {"years": "、".join(str(y) for y in missing)}
        )
    holidays = set(selectors.holiday_names(roster.period_start, roster.period_end))
    entries = list(selectors.entries_of(roster))
    managers = {e.day for e in entries if e.role == DutyRole.MANAGER}
    if without := sorted(holidays - managers):
        problems.append(
            _("No manager on duty on these holidays (R-1001): %(days)s")
            % {"days": _day_list(without)}
        )
    hotline: dict[date, set[Shift]] = {}
    for entry in entries:
        if entry.role in HOTLINE_ROLES:
            hotline.setdefault(entry.day, set()).add(entry.shift)
    calendar = policy.calendar()
    season_gaps, office_gaps = [], []
    hours = ""
    for day in days:
        spans = _covered(hotline.get(day, ()))
        # The policy's own reading of R-206 for the day: the season, else its hours.
        line = policy.hotline_hours(
            policy_version, now=timezone.make_aware(datetime.combine(day, time(12)))
        )
        if line.heating_season:
            if not _covers(spans, 0, MINUTES_PER_DAY):
                season_gaps.append(day)
        elif calendar.is_working_day(day):
            hours = line.hours
            open_at, close_at = (_minutes(time.fromisoformat(part)) for part in hours.split("-"))
            if not _covers(spans, open_at, close_at):
                office_gaps.append(day)
    if season_gaps:
        problems.append(
            _("Heating-season days not staffed around the clock by an agent (R-206): %(days)s")
            % {"days": _day_list(season_gaps)}
        )
    if office_gaps:
        problems.append(
            _("Working days without an agent during the hotline hours %(hours)s (R-206): %(days)s")
            % {"hours": hours, "days": _day_list(office_gaps)}
        )
    return problems


def publish_roster(roster_id: int, *, actor: Actor, now: datetime | None = None) -> Roster:
    """Publish a draft roster, refused with every problem when it breaks R-1001 or R-206."""
    _require(actor, PUBLISH_ROSTER)
    now = now or timezone.now()
    with transaction.atomic():
        roster = _draft(roster_id)
        if problems := roster_problems(roster):
            raise ValidationError({"roster": problems})
        roster.status = RosterStatus.PUBLISHED
        roster.published_by = actor
        roster.published_at = now
        roster.save(update_fields=["status", "published_by", "published_at"])
    return roster


def substitute(
    entry_id: int,
    *,
    substitute_id: int,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
) -> RosterEntry:
    """替班: someone else takes a published entry's shift over (approved by whoever keeps
    the roster, seed 001-12 值班管理规定 五). The person rostered stays on the entry."""
    _require(actor, PUBLISH_ROSTER)
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why a substitute takes the shift.")]
    person = User.objects.filter(pk=substitute_id).first()
    if person is None:
        errors["substitute"] = [_("Choose a person.")]
    with transaction.atomic():
        entry = (
            RosterEntry.objects.select_for_update()
            .select_related("roster__unit", "shift", "person")
            .filter(pk=entry_id)
            .first()
        )
        if entry is None:
            raise ValidationError({"entry": [_("Unknown roster entry.")]})
        if entry.roster.status != RosterStatus.PUBLISHED:
            errors["entry"] = [_("Substitutes are arranged on published rosters; edit a draft.")]
        elif entry.substitute_id is not None:
            errors["entry"] = [_("This shift already has a substitute.")]
        if person is not None:
            busy = RosterEntry.objects.filter(
                roster__unit=entry.roster.unit, day=entry.day, shift=entry.shift
            ).filter(person=person, substitute__isnull=True) | RosterEntry.objects.filter(
                roster__unit=entry.roster.unit, day=entry.day, shift=entry.shift, substitute=person
            )
            if person.pk == entry.person_id or busy.exists():
                errors["substitute"] = [_("The substitute is already on this shift.")]
            elif not selectors.may_be_rostered(person, entry.roster.unit, entry.role):
                errors["substitute"] = [_not_rosterable(entry.role)]
        if errors:
            raise ValidationError(errors)
        entry.substitute = person
        entry.substitute_reason = reason[:200]
        entry.substituted_by = actor
        entry.substituted_at = now
        entry.save(
            update_fields=["substitute", "substitute_reason", "substituted_by", "substituted_at"]
        )
    return entry


# --- the duty log ----------------------------------------------------------------------


def director_of(unit: OrgUnit) -> list[Actor]:
    """客户服务中心主任: the head of the service centre (or of the nearest unit above)."""
    return holders_of(Position.DEPARTMENT_HEAD, unit)


def write_log_entry(
    unit_id: int,
    *,
    kind: str,
    occurred_at: datetime | None,
    text: str,
    actor: Actor,
    now: datetime | None = None,
) -> DutyLogEntry:
    """A duty log entry on the shift its time falls in; a major event is reported to the
    director at once, once (R-1001)."""
    _require(actor, KEEP_LOG)
    now = now or timezone.now()
    occurred_at = occurred_at or now
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    unit = selectors.duty_units().filter(pk=unit_id).first()
    if unit is None:
        errors["unit"] = [_("Choose a service centre.")]
    if kind not in LogKind.values:
        errors["kind"] = [_("Choose a type.")]
    if not text:
        errors["text"] = [_("Write what happened.")]
    if occurred_at > now + CLOCK_SKEW:
        errors["occurred_at"] = [_("The time cannot be in the future.")]
    found = selectors.shift_at(occurred_at)
    if found is None:
        errors["occurred_at"] = [_("No shifts are set up.")]
    if errors or unit is None or found is None:
        raise ValidationError(errors)
    day, shift = found
    with transaction.atomic():
        entry = DutyLogEntry.objects.create(
            unit=unit,
            kind=kind,
            occurred_at=occurred_at,
            day=day,
            shift=shift,
            author=actor,
            text=text,
            created_at=now,
        )
        if kind == LogKind.MAJOR_EVENT:
            local = timezone.localtime(occurred_at)
            sent = notify_staff(
                director_of(unit),
                _("Major event on duty: %(unit)s") % {"unit": unit.name},
                _("%(time)s (%(shift)s), written by %(author)s: %(text)s")
                % {
                    "time": local.strftime("%Y-%m-%d %H:%M"),
                    "shift": shift.name,
                    "author": display_name(actor),
                    "text": text,
                },
                link=f"/duty/log/?day={day:%Y-%m-%d}",
                reference=f"duty-log:{entry.pk}",
                dedupe_prefix=f"duty-log:{entry.pk}",
            )
            if sent:
                entry.director_notified_at = now
                entry.save(update_fields=["director_notified_at"])
    return entry


# --- handover --------------------------------------------------------------------------


def _on_shift_or_refuse(actor: Actor, unit: OrgUnit, day: date, shift: Shift, side: str) -> None:
    if not selectors.is_published_for(unit, day):
        raise ValidationError(
            {side: [_("No published roster covers %(day)s.") % {"day": f"{day:%Y-%m-%d}"}]}
        )
    if not selectors.is_on_duty(actor, unit, day, shift):
        raise ValidationError(
            {
                side: [
                    _("You are not on the %(shift)s of %(day)s in the roster.")
                    % {"shift": shift.name, "day": f"{day:%Y-%m-%d}"}
                ]
            }
        )


def _locked_handover(unit: OrgUnit, day: date, shift: Shift, now: datetime) -> Handover:
    Handover.objects.get_or_create(unit=unit, day=day, shift=shift, defaults={"updated_at": now})
    return (
        Handover.objects.select_for_update()
        .select_related("unit", "shift")
        .get(unit=unit, day=day, shift=shift)
    )


def hand_over(
    unit_id: int,
    day: date,
    shift_id: int,
    *,
    notes: str,
    sign: bool,
    actor: Actor,
    now: datetime | None = None,
) -> Handover:
    """The outgoing shift writes its handover notes and, with ``sign``, signs them. After a
    refusal it writes and signs again."""
    _require(actor, KEEP_LOG)
    now = now or timezone.now()
    unit = selectors.duty_units().filter(pk=unit_id).first()
    shift = Shift.objects.filter(pk=shift_id).first()
    if unit is None or shift is None:
        raise ValidationError({"shift": [_("Unknown shift.")]})
    notes = (notes or "").strip()
    _on_shift_or_refuse(actor, unit, day, shift, "notes")
    with transaction.atomic():
        handover = _locked_handover(unit, day, shift, now)
        if handover.status not in (HandoverStatus.OPEN, HandoverStatus.REFUSED):
            raise ValidationError({"notes": [_("The handover is already signed.")]})
        handover.notes = notes
        handover.updated_at = now
        if sign:
            handover.status = HandoverStatus.HANDED_OVER
            handover.outgoing_signed_by = actor
            handover.outgoing_signed_at = now
        handover.save()
    return handover


def _awaiting_incoming(handover_id: int, actor: Actor) -> tuple[Handover, date, Shift]:
    handover = (
        Handover.objects.select_for_update()
        .select_related("unit", "shift")
        .filter(pk=handover_id)
        .first()
    )
    if handover is None:
        raise ValidationError({"handover": [_("Unknown handover.")]})
    if handover.status != HandoverStatus.HANDED_OVER:
        message = {
            HandoverStatus.OPEN: _("The outgoing shift has not signed the handover yet."),
            HandoverStatus.ACCEPTED: _("The handover has already been accepted."),
            HandoverStatus.REFUSED: _(
                "The handover has been refused: the outgoing shift signs again."
            ),
        }[HandoverStatus(handover.status)]
        raise ValidationError({"handover": [message]})
    day, shift = selectors.next_shift(handover.day, handover.shift)
    _on_shift_or_refuse(actor, handover.unit, day, shift, "handover")
    if handover.outgoing_signed_by_id == actor.pk:
        raise ValidationError({"handover": [_("The same person cannot sign both sides.")]})
    return handover, day, shift


def accept_handover(
    handover_id: int,
    *,
    confirm_unfinished: bool = False,
    actor: Actor,
    now: datetime | None = None,
) -> Handover:
    """The incoming shift signs and takes over. With unfinished emergency work and no
    handover notes, taking over needs ``confirm_unfinished`` (the fourth 不接)."""
    _require(actor, KEEP_LOG)
    now = now or timezone.now()
    with transaction.atomic():
        handover, _day, _shift = _awaiting_incoming(handover_id, actor)
        unfinished = selectors.unfinished_work()
        if unfinished.any and not handover.notes.strip() and not confirm_unfinished:
            raise ValidationError(
                {
                    "confirm_unfinished": [
                        _(
                            "Emergency work is unfinished and the handover has no notes: confirm that you take it over, or refuse the handover."
                        )
                    ]
                }
            )
        handover.status = HandoverStatus.ACCEPTED
        handover.incoming_signed_by = actor
        handover.incoming_signed_at = now
        handover.open_items = unfinished.snapshot()
        handover.unfinished_confirmed = bool(unfinished.any and not handover.notes.strip())
        handover.updated_at = now
        handover.save()
    return handover


def refuse_handover(
    handover_id: int,
    *,
    conditions: Iterable[str],
    note: str = "",
    actor: Actor,
    now: datetime | None = None,
) -> Handover:
    """四不接: the incoming shift refuses, naming one or more of the four conditions. The
    outgoing shift stays on duty, puts it right and signs again."""
    _require(actor, KEEP_LOG)
    now = now or timezone.now()
    chosen = [c for c in RefusalCondition.values if c in set(conditions)]
    if not chosen:
        raise ValidationError(
            {"conditions": [_("Tick at least one reason for refusing the handover.")]}
        )
    with transaction.atomic():
        handover, _day, _shift = _awaiting_incoming(handover_id, actor)
        HandoverRefusal.objects.create(
            handover=handover,
            refused_by=actor,
            refused_at=now,
            conditions=chosen,
            note=(note or "").strip(),
        )
        handover.status = HandoverStatus.REFUSED
        handover.updated_at = now
        handover.save(update_fields=["status", "updated_at"])
    return handover
