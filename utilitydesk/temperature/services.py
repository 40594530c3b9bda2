"""Writes of the temperature app (R-701 – R-707; docs/temperature.md).

A measurement request is a case of the kind "temperature" and runs the case lifecycle
(dispatch, accept, book, arrive); `record_measurement` stores the signed record and
resolves the case with the same signature in one transaction. A failed home earns a
refund credit and opens the adjustment work; the adjustment's resolution opens the
re-measurement (reactions.py)."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.cases.models import Case, Channel, Kind, Status
from utilitydesk.cases.selectors import visible_cases
from utilitydesk.cases.services import (
    ContactInput,
    Resolution,
    create_contact,
    open_follow_up,
    resolve,
)
from utilitydesk.customers.models import Premises
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.notifications.services import send_sms
from utilitydesk.org.selectors import positions_of
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy

from . import method
from .models import (
    REFUSED_INSTRUMENT_KINDS,
    CreditStatus,
    Instrument,
    MeasuredRoom,
    Measurement,
    MonitoringPoint,
    Purpose,
    Reading,
    RefundCredit,
    RoomKind,
)

# Attributes of the cases this app opens: the failed record an adjustment case is for, and
# the one a re-measurement case re-measures.
ADJUSTMENT_FOR = "temperature_adjustment_for"
REMEASURES = "temperature_remeasures"
FROM_COMPLAINT = "temperature_from_complaint"

READING_MIN = Decimal("-30.0")
READING_MAX = Decimal("45.0")
MAX_ROOMS = 12


def policy_for(case: Case | None) -> PolicyVersion:
    """The policy a record is judged by: its case's version, else the current one."""
    policy = case.policy_version if case is not None and case.policy_version_id else None
    policy = policy or current_policy()
    if policy is None:
        return PolicyVersion()  # the shipped defaults, unsaved
    return policy


def _local_day(moment: datetime) -> date:
    return moment.astimezone(method.LOCAL).date()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=method.LOCAL)
    return start, start + timedelta(days=1)


# --- the request ---------------------------------------------------------------------------


def request_measurement(
    premises_id: int,
    content: str,
    channel: str = Channel.PHONE,
    caller_name: str = "",
    caller_phone: str = "",
    attributes: dict[str, Any] | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """A customer's request for a measurement: registered as a temperature case and
    routed to the premises' station like any call (R-702)."""
    now = now or timezone.now()
    premises = Premises.objects.filter(
        pk=premises_id, customer__in=visible_customers(actor)
    ).first()
    if premises is None:
        raise ValidationError({"premises": [_("Unknown premises.")]})
    contact = create_contact(
        ContactInput(
            channel=channel,
            kind=Kind.TEMPERATURE,
            content=content or _("The customer asks for an indoor temperature measurement."),
            customer_id=premises.customer_id,
            premises_id=premises.pk,
            caller_name=caller_name,
            caller_phone=caller_phone,
            attributes=attributes or {},
            allow_duplicate=True,
        ),
        actor=actor,
        now=now,
    )
    case = contact.case
    if case is None:
        raise ValidationError({"kind": [_("The request was answered without a case.")]})
    return case


def request_from_complaint(number: str, *, actor: Actor, now: datetime | None = None) -> Case:
    """R-501: a heating-quality complaint is answered by a measurement (and adjustment)."""
    now = now or timezone.now()
    complaint_case = visible_cases(actor).filter(number=number).first()
    if complaint_case is None:
        raise ValidationError({"case": [_("Unknown case number.")]})
    if complaint_case.premises_id is None:
        raise ValidationError(
            {"premises": [_("The complaint names no premises: record the address first.")]}
        )
    existing = measurement_cases_for(complaint_case).exclude(status=Status.CANCELLED).first()
    if existing is not None:
        raise ValidationError(
            {"case": [_("A measurement was already requested: %(n)s") % {"n": existing.number}]}
        )
    return request_measurement(
        complaint_case.premises_id,
        _("Heating-quality complaint %(n)s: measure the indoor temperature.")
        % {"n": complaint_case.number},
        channel=complaint_case.channel,
        caller_name=complaint_case.caller_name,
        caller_phone=complaint_case.caller_phone,
        attributes={FROM_COMPLAINT: complaint_case.number},
        actor=actor,
        now=now,
    )


def measurement_cases_for(complaint_case: Case) -> Any:
    return Case.objects.filter(
        kind=Kind.TEMPERATURE, **{f"attributes__{FROM_COMPLAINT}": complaint_case.number}
    )


# --- booking --------------------------------------------------------------------------------


def booking_problems(
    case: Case, appointment_at: datetime, *, rebooking: bool, policy: PolicyVersion
) -> list[str]:
    """Why a measurement visit may not be booked at ``appointment_at`` (R-705): the window
    after the request, the hours of the day, the household's daily limit. A rebooking after
    nobody was home is not held to the window after the request."""
    problems = []
    if not rebooking:
        latest = case.received_at + timedelta(hours=policy.temperature_visit_within_hours)
        if appointment_at > latest:
            problems.append(
                _("A measurement is made within %(h)d hours of the request: at the latest %(t)s.")
                % {
                    "h": policy.temperature_visit_within_hours,
                    "t": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M"),
                }
            )
    if not method.within_hours(appointment_at, policy.temperature_visit_hours):
        problems.append(
            _("Measurements are made between %(hours)s.")
            % {"hours": policy.temperature_visit_hours}
        )
    if case.premises_id is not None:
        day = _local_day(appointment_at)
        if (
            visits_on(case.premises_id, day, excluding_case=case.pk)
            >= policy.temperature_daily_limit
        ):
            problems.append(
                _("This household already has %(n)d measurements on %(day)s: choose another day.")
                % {"n": policy.temperature_daily_limit, "day": day.isoformat()}
            )
    return problems


def lock_household(premises_id: int) -> None:
    """Serialise what counts a household's measurements of a day (booking, recording)."""
    Premises.objects.select_for_update().filter(pk=premises_id).values_list("pk").first()


def visits_on(premises_id: int, day: date, excluding_case: int | None = None) -> int:
    """Measurements of a household on a local day: visits booked for it (temperature cases
    not cancelled, not yet measured) and records stored that day."""
    start, end = _day_bounds(day)
    booked = Case.objects.filter(
        kind=Kind.TEMPERATURE,
        premises_id=premises_id,
        appointment_at__gte=start,
        appointment_at__lt=end,
        status__in=[Status.BOOKED, Status.ON_SITE, Status.ACCEPTED, Status.WAITING_CUSTOMER],
    )
    if excluding_case is not None:
        booked = booked.exclude(pk=excluding_case)
    recorded = Measurement.objects.filter(
        premises_id=premises_id, measured_at__gte=start, measured_at__lt=end
    )
    return booked.count() + recorded.count()


# --- the record -----------------------------------------------------------------------------


@dataclass
class ReadingInput:
    celsius: Any
    read_at: datetime | None = None


@dataclass
class RoomInput:
    kind: str
    area_m2: Any
    readings: list[ReadingInput]
    name: str = ""


@dataclass
class MeasurementInput:
    instrument_id: int | None
    outdoor_celsius: Any
    height_m: Any
    doors_windows_closed: bool
    no_heat_source: bool
    rooms: list[RoomInput]
    signature_png: bytes | None = None
    case_number: str = ""
    monitoring_point_id: int | None = None
    measured_at: datetime | None = None
    note: str = ""
    photos: list[str] = field(default_factory=list)


def _decimal(value: Any, field_name: str, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: [message]}) from None
    if not number.is_finite():
        raise ValidationError({field_name: [message]})
    return number


def instrument_problem(instrument: Instrument, on: date, policy: PolicyVersion) -> str | None:
    """Why an instrument may not be used for a measurement on ``on`` (R-705), or None."""
    if instrument.kind in REFUSED_INSTRUMENT_KINDS:
        return _("Infrared and laser thermometers are not accepted: use a contact thermometer.")
    if not instrument.active:
        return _("This thermometer is no longer in use.")
    if instrument.accuracy > policy.temperature_instrument_accuracy:
        return _("The thermometer must be accurate to ±%(a)s °C or better.") % {
            "a": policy.temperature_instrument_accuracy
        }
    if not instrument.certificate_number.strip():
        return _("The thermometer has no calibration certificate number.")
    if instrument.certificate_expires < on:
        return _("The thermometer's calibration certificate expired on %(d)s.") % {
            "d": instrument.certificate_expires.isoformat()
        }
    return None


@dataclass
class CheckedRoom:
    kind: str
    name: str
    area_m2: Decimal
    points_required: int
    readings: list[tuple[Decimal, datetime]]
    celsius: Decimal


def _check_rooms(
    rooms: list[RoomInput], *, measured_at: datetime, now: datetime
) -> list[CheckedRoom]:
    if not rooms:
        raise ValidationError({"rooms": [_("Measure at least one room.")]})
    if len(rooms) > MAX_ROOMS:
        raise ValidationError(
            {"rooms": [_("At most %(n)d rooms in one record.") % {"n": MAX_ROOMS}]}
        )
    checked = []
    errors: list[str] = []
    for index, room in enumerate(rooms, start=1):
        label = _("Room %(n)d") % {"n": index}
        if room.kind not in RoomKind.values:
            errors.append(_("%(room)s: choose the room type.") % {"room": label})
            continue
        try:
            area = _decimal(room.area_m2, "rooms", "")
        except ValidationError:
            area = Decimal("-1")
        if area < Decimal("0.5") or area > Decimal("1000"):
            errors.append(_("%(room)s: give the area in m² (0.5 to 1000).") % {"room": label})
            continue
        required = method.points_required(area)
        if len(room.readings) != required:
            errors.append(
                _(
                    "%(room)s: %(area)s m² needs %(need)d measuring points by the method, %(got)d given."
                )
                % {"room": label, "area": area, "need": required, "got": len(room.readings)}
            )
            continue
        values: list[tuple[Decimal, datetime]] = []
        for point, reading in enumerate(room.readings, start=1):
            try:
                celsius = _decimal(reading.celsius, "rooms", "")
            except ValidationError:
                celsius = Decimal("NaN")
            if not celsius.is_finite() or not READING_MIN <= celsius <= READING_MAX:
                errors.append(
                    _("%(room)s, point %(p)d: give the reading in °C (%(lo)s to %(hi)s).")
                    % {"room": label, "p": point, "lo": READING_MIN, "hi": READING_MAX}
                )
                continue
            read_at = reading.read_at or measured_at
            if timezone.is_naive(read_at):
                read_at = timezone.make_aware(read_at)
            if read_at > now + timedelta(minutes=5) or abs(read_at - measured_at) > timedelta(
                hours=6
            ):
                errors.append(
                    _(
                        "%(room)s, point %(p)d: the reading's time must lie on the visit, not in the future."
                    )
                    % {"room": label, "p": point}
                )
                continue
            values.append((method.round_tenth(celsius), read_at))
        if len(values) != required:
            continue
        checked.append(
            CheckedRoom(
                kind=room.kind,
                name=room.name.strip()[:30],
                area_m2=area.quantize(Decimal("0.01")),
                points_required=required,
                readings=values,
                celsius=method.room_celsius([value for value, _at in values]),
            )
        )
    if errors:
        raise ValidationError({"rooms": errors})
    return checked


def _next_number(measurement: Measurement) -> str:
    return f"CW{_local_day(measurement.measured_at):%Y%m%d}{measurement.pk:06d}"


def record_measurement(
    data: MeasurementInput, *, actor: Actor, now: datetime | None = None
) -> Measurement:
    """Validate and store a signed measurement record (R-703, R-705). A record for a case
    resolves the case with the same signature (R-303); a failed home gets its refund credit
    and its adjustment case; the customer gets the result by SMS."""
    now = now or timezone.now()
    if not actor.has_perm("temperature.record_measurement"):
        raise PermissionDenied(_("You are not allowed to record measurements."))
    measured_at = data.measured_at or now
    if timezone.is_naive(measured_at):
        measured_at = timezone.make_aware(measured_at)
    if measured_at > now + timedelta(minutes=5):
        raise ValidationError({"measured_at": [_("The measurement cannot be in the future.")]})
    with transaction.atomic():
        case, point, premises = _subject(data, actor=actor)
        policy = policy_for(case)
        errors: dict[str, list[str]] = {}
        instrument = (
            Instrument.objects.filter(pk=data.instrument_id).first() if data.instrument_id else None
        )
        if instrument is None:
            errors["instrument"] = [_("Choose the thermometer from the register.")]
        else:
            problem = instrument_problem(instrument, _local_day(measured_at), policy)
            if problem:
                errors["instrument"] = [problem]
        outdoor = _decimal(
            data.outdoor_celsius, "outdoor_celsius", _("Give the outdoor temperature in °C.")
        )
        if not Decimal("-50") <= outdoor <= Decimal("45"):
            errors["outdoor_celsius"] = [_("Give the outdoor temperature in °C.")]
        height = _decimal(data.height_m, "height_m", _("Give the sensor height in metres."))
        low = policy.temperature_height_m - policy.temperature_height_tolerance_m
        high = policy.temperature_height_m + policy.temperature_height_tolerance_m
        if not low <= height <= high:
            errors["height_m"] = [
                _("The sensor is held at %(h)s ± %(t)s m.")
                % {"h": policy.temperature_height_m, "t": policy.temperature_height_tolerance_m}
            ]
        if not data.doors_windows_closed:
            errors["doors_windows_closed"] = [
                _("Doors and windows must be closed for 30 minutes before reading.")
            ]
        if not data.no_heat_source:
            errors["no_heat_source"] = [
                _("Keep heat sources and sunlight off the sensor before reading.")
            ]
        try:
            rooms = _check_rooms(data.rooms, measured_at=measured_at, now=now)
        except ValidationError as error:
            errors.update(error.message_dict)
            rooms = []
        if not data.signature_png:
            errors["signature"] = [
                _("The customer has not signed: without the signature the record is invalid.")
            ]
        if not errors:
            lock_household(premises.pk)
            day = _local_day(measured_at)
            done = visits_on(premises.pk, day, excluding_case=case.pk if case else None)
            if done >= policy.temperature_daily_limit:
                errors["measured_at"] = [
                    _("This household already has %(n)d measurements today.")
                    % {"n": policy.temperature_daily_limit}
                ]
        if errors:
            raise ValidationError(errors)
        if instrument is None or not data.signature_png:  # checked above; for the type checker
            raise ValidationError({"instrument": [_("Choose the thermometer from the register.")]})
        results = [method.RoomResult(r.kind, r.area_m2, r.celsius) for r in rooms]
        counted = method.counted_kinds(policy.temperature_counted_rooms)
        home = method.home_celsius(results, counted, policy.temperature_home_rule)
        target, tolerance = policy.temperature_target, policy.temperature_tolerance_below
        passed = method.passes(home, target, tolerance)
        purpose = _purpose(case, point)
        previous = _last_measurement(premises.pk, before=measured_at)
        measurement = Measurement(
            # A placeholder inside number's 20 characters until the row has its pk.
            number=f"tmp-{uuid.uuid4().hex[:16]}",
            premises=premises,
            station_id=premises.station_id,
            substation_id=premises.building.substation_id if premises.building_id else None,
            season=method.season_of(measured_at, policy.season_start),
            case=case,
            monitoring_point=point,
            purpose=purpose,
            policy_version=policy if policy.pk else None,
            instrument=instrument,
            technician=actor,
            measured_at=measured_at,
            outdoor_celsius=method.round_tenth(outdoor),
            height_m=height.quantize(Decimal("0.01")),
            doors_windows_closed=True,
            no_heat_source=True,
            target_celsius=target,
            home_celsius=home,
            passed=passed,
            valid=True,
            signed_at=now,
            note=data.note.strip(),
            photos=list(data.photos),
            remeasures=previous if purpose == Purpose.REMEASURE else None,
            created_at=now,
            created_by=actor,
        )
        measurement.signature.save(
            f"{premises.pk}-{int(now.timestamp())}.png", ContentFile(data.signature_png), save=False
        )
        measurement.save()
        measurement.number = _next_number(measurement)
        measurement.save(update_fields=["number"])
        for position, room in enumerate(rooms, start=1):
            stored = MeasuredRoom.objects.create(
                measurement=measurement,
                position=position,
                kind=room.kind,
                name=room.name,
                area_m2=room.area_m2,
                points_required=room.points_required,
                celsius=room.celsius,
                counted=room.kind in counted,
                passed=method.passes(room.celsius, target, tolerance),
            )
            Reading.objects.bulk_create(
                Reading(room=stored, point=index, celsius=value, read_at=at)
                for index, (value, at) in enumerate(room.readings, start=1)
            )
        _end_open_credit(premises.pk, measurement, policy)
        if not passed:
            _open_credit(measurement, policy, now=now)
            _open_adjustment(measurement, actor=actor, now=now)
        if point is not None:
            point.last_visit_at = measured_at
            point.next_due_at = measured_at + timedelta(days=policy.temperature_monitoring_days)
            point.save(update_fields=["last_visit_at", "next_due_at"])
        if case is not None:
            resolve(
                case.number,
                Resolution(work_done=summary(measurement), signature_png=data.signature_png),
                actor=actor,
                now=now,
            )
        _text_result(measurement, case)
    return measurement


def _subject(
    data: MeasurementInput, *, actor: Actor
) -> tuple[Case | None, MonitoringPoint | None, Premises]:
    if bool(data.case_number) == bool(data.monitoring_point_id):
        raise ValidationError(
            {"case": [_("A record belongs to one temperature case or one monitoring point.")]}
        )
    if data.case_number:
        case = (
            visible_cases(actor)
            .select_for_update(of=("self",))
            .select_related("premises__building", "policy_version")
            .filter(number=data.case_number)
            .first()
        )
        if case is None:
            raise ValidationError({"case": [_("Unknown case number.")]})
        if case.kind != Kind.TEMPERATURE:
            raise ValidationError({"case": [_("This case is not a temperature measurement.")]})
        if case.premises is None:
            raise ValidationError(
                {"case": [_("The case names no premises: correct the address first.")]}
            )
        if Measurement.objects.filter(case=case, valid=True).exists():
            raise ValidationError(
                {"case": [_("This visit's measurement has already been recorded.")]}
            )
        if case.status != Status.ON_SITE:
            raise ValidationError({"case": [_("Record the arrival on site before measuring.")]})
        return case, None, case.premises
    point = (
        MonitoringPoint.objects.select_for_update(of=("self",))
        .select_related("premises__building")
        .filter(
            pk=data.monitoring_point_id or 0,
            active=True,
            premises__customer__in=visible_customers(actor),
        )
        .first()
    )
    if point is None:
        raise ValidationError({"monitoring_point": [_("Unknown monitoring point.")]})
    return None, point, point.premises


def _purpose(case: Case | None, point: MonitoringPoint | None) -> str:
    if point is not None:
        return Purpose.MONITORING
    if case is not None and case.attributes.get(REMEASURES):
        return Purpose.REMEASURE
    return Purpose.REQUEST


def _last_measurement(premises_id: int, *, before: datetime) -> Measurement | None:
    return (
        Measurement.objects.filter(premises_id=premises_id, valid=True, measured_at__lte=before)
        .order_by("-measured_at")
        .first()
    )


def summary(measurement: Measurement) -> str:
    """The station's summary back to the service centre (R-702), the case's resolution."""
    rooms = "；".join(
        f"{room.name or room.get_kind_display()} {room.celsius}°C"
        for room in measurement.rooms.all()
    )
    verdict = _("passed") if measurement.passed else _("below the target")
    return _(
        "Measured (%(number)s): %(rooms)s; home %(home)s °C, target %(target)s °C: %(verdict)s."
    ) % {
        "number": measurement.number,
        "rooms": rooms,
        "home": measurement.home_celsius,
        "target": measurement.target_celsius,
        "verdict": verdict,
    }


def _text_result(measurement: Measurement, case: Case | None) -> None:
    phone = (case.caller_phone if case else "") or _customer_phone(measurement.premises)
    if not phone:
        return
    body = _(
        "Your indoor temperature was measured on %(day)s: %(home)s °C (target %(target)s °C), %(verdict)s. Record %(number)s."
    ) % {
        "day": _local_day(measurement.measured_at).isoformat(),
        "home": measurement.home_celsius,
        "target": measurement.target_celsius,
        "verdict": _("passed")
        if measurement.passed
        else _("below the target: we will adjust and measure again"),
        "number": measurement.number,
    }
    send_sms(
        phone,
        body,
        reference=f"temperature:{measurement.number}",
        dedupe_key=f"temperature-result:{measurement.pk}",
    )


def _customer_phone(premises: Premises) -> str:
    phone = premises.customer.phones.order_by("pk").values_list("number", flat=True).first()
    return phone or ""


# --- refunds (R-706) ------------------------------------------------------------------------


def _season_days(season: int, policy: PolicyVersion) -> tuple[date, date, int]:
    start, end = method.season_bounds(season, policy.season_start, policy.season_end)
    return start, end, (end - start).days + 1


def credit_days(start: date, end: date, season_start: date, season_end: date) -> int:
    """Days of the affected period inside the season: the first day counts, the ending
    day (the passing re-measurement) does not; a period cut by the season's end counts its
    last day."""
    first = max(start, season_start)
    if end > season_end:
        return max((season_end - first).days + 1, 0)
    return max((end - first).days, 0)


def _open_credit(measurement: Measurement, policy: PolicyVersion, *, now: datetime) -> None:
    bands = method.parse_bands(policy.temperature_refund_bands)
    share = method.refund_share(measurement.home_celsius, bands)
    if share == 0:
        return
    _start, _end, season_days = _season_days(measurement.season, policy)
    RefundCredit.objects.create(
        premises=measurement.premises,
        measurement=measurement,
        season=measurement.season,
        celsius=measurement.home_celsius,
        share=share,
        period_start=_local_day(measurement.measured_at),
        season_days=season_days,
        heated_area=measurement.premises.heated_area,
        approver_position=policy.temperature_refund_approver,
        policy_version=policy if policy.pk else None,
        created_at=now,
    )


def _close(
    credit: RefundCredit, end: date, policy: PolicyVersion, ended_by: Measurement | None
) -> None:
    season_start, season_end, _days = _season_days(credit.season, policy)
    credit.period_end = min(end, season_end)
    credit.ended_by = ended_by
    credit.days = credit_days(credit.period_start, end, season_start, season_end)
    credit.fee_fraction = fee_fraction(credit.share, credit.days, credit.season_days)
    credit.status = CreditStatus.PENDING
    credit.save()


def fee_fraction(share: Decimal, days: int, season_days: int) -> Decimal:
    return (share * days / season_days).quantize(Decimal("0.000001"))


def _end_open_credit(premises_id: int, measurement: Measurement, policy: PolicyVersion) -> None:
    for credit in RefundCredit.objects.select_for_update().filter(
        premises_id=premises_id, status=CreditStatus.OPEN, season=measurement.season
    ):
        _close(credit, _local_day(measurement.measured_at), policy, measurement)


def close_season_credits(
    season: int, *, actor: Actor | None = None, now: datetime | None = None
) -> int:
    """At the season's end, credits still running end on its last day (idempotent)."""
    now = now or timezone.now()
    closed = 0
    with transaction.atomic():
        for credit in (
            RefundCredit.objects.select_for_update(of=("self",))
            .filter(season=season, status=CreditStatus.OPEN)
            .select_related("policy_version")
        ):
            policy = credit.policy_version or policy_for(None)
            _start, end, _days = _season_days(season, policy)
            if _local_day(now) <= end:
                continue
            _close(credit, end + timedelta(days=1), policy, None)
            closed += 1
    return closed


def may_decide_refund(credit: RefundCredit, *, actor: Actor) -> bool:
    if actor.is_superuser:
        return True
    if not actor.has_perm("temperature.decide_refund"):
        return False
    return any(a.position == credit.approver_position for a in positions_of(actor))


def decide_refund(
    credit_id: int,
    approve: bool,
    note: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> RefundCredit:
    """The approver the policy names approves or rejects a credit whose period has ended."""
    now = now or timezone.now()
    with transaction.atomic():
        credit = RefundCredit.objects.select_for_update().filter(pk=credit_id).first()
        if credit is None:
            raise ValidationError({"credit": [_("Unknown refund.")]})
        if not may_decide_refund(credit, actor=actor):
            raise PermissionDenied(_("This refund is approved by another position."))
        if credit.status != CreditStatus.PENDING:
            raise ValidationError(
                {
                    "status": [
                        _("This refund is %(s)s: nothing to decide.")
                        % {"s": credit.get_status_display()}
                    ]
                }
            )
        if not approve and not note.strip():
            raise ValidationError({"note": [_("Say why the refund is rejected.")]})
        credit.status = CreditStatus.APPROVED if approve else CreditStatus.REJECTED
        credit.decided_by = actor
        credit.decided_at = now
        credit.decision_note = note.strip()
        credit.save()
    return credit


# --- adjustment and re-measurement ----------------------------------------------------------


def _open_adjustment(measurement: Measurement, *, actor: Actor, now: datetime) -> Case | None:
    """A failed home: the station adjusts (bleeds, balances, checks the substation); its
    resolution opens the re-measurement (reactions.on_resolved). One open adjustment per
    home at a time."""
    running = Case.objects.filter(
        premises_id=measurement.premises_id,
        attributes__has_key=ADJUSTMENT_FOR,
        status__in=[
            s
            for s in Status.values
            if s not in (Status.RESOLVED, Status.CALLBACK_DONE, Status.CLOSED, Status.CANCELLED)
        ],
    ).exists()
    if running:
        return None
    return open_follow_up(
        ContactInput(
            channel=Channel.INTERNAL,
            kind=Kind.REPAIR,
            content=_(
                "Indoor temperature below the target (%(number)s: home %(home)s °C, target %(target)s °C): bleed the radiators, balance the riser, check the substation; a re-measurement follows."
            )
            % {
                "number": measurement.number,
                "home": measurement.home_celsius,
                "target": measurement.target_celsius,
            },
            customer_id=measurement.premises.customer_id,
            premises_id=measurement.premises_id,
            attributes={ADJUSTMENT_FOR: measurement.number},
        ),
        actor=actor,
        now=now,
    )


def open_remeasurement(adjustment: Case, *, actor: Actor, now: datetime) -> Case | None:
    """The adjustment is done: measure the home again, as a new temperature case."""
    failed_number = adjustment.attributes.get(ADJUSTMENT_FOR)
    if not failed_number or adjustment.premises_id is None:
        return None
    if (
        Case.objects.filter(kind=Kind.TEMPERATURE, **{f"attributes__{REMEASURES}": failed_number})
        .exclude(status=Status.CANCELLED)
        .exists()
    ):
        return None
    return open_follow_up(
        ContactInput(
            channel=Channel.INTERNAL,
            kind=Kind.TEMPERATURE,
            content=_("Re-measurement after adjustment %(case)s (failed record %(number)s).")
            % {"case": adjustment.number, "number": failed_number},
            customer_id=adjustment.customer_id,
            premises_id=adjustment.premises_id,
            attributes={REMEASURES: failed_number},
        ),
        actor=actor,
        now=now,
    )


# --- monitoring points (R-704) --------------------------------------------------------------


def add_monitoring_point(
    premises_id: int, rooms: str = "", *, actor: Actor, now: datetime | None = None
) -> MonitoringPoint:
    now = now or timezone.now()
    if not actor.has_perm("temperature.add_monitoringpoint"):
        raise PermissionDenied(_("You are not allowed to keep monitoring points."))
    premises = Premises.objects.filter(
        pk=premises_id, customer__in=visible_customers(actor)
    ).first()
    if premises is None:
        raise ValidationError({"premises": [_("Unknown premises.")]})
    if premises.station_id is None:
        raise ValidationError({"premises": [_("The premises has no station.")]})
    if MonitoringPoint.objects.filter(premises=premises, active=True).exists():
        raise ValidationError({"premises": [_("This home is already a monitoring point.")]})
    return MonitoringPoint.objects.create(
        premises=premises,
        station_id=premises.station_id,
        rooms=rooms.strip()[:200],
        next_due_at=now,
        created_at=now,
    )
