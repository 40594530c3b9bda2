"""Monitoring points (测温点, R-704), their data loggers' readings and the thermometer
register's writes (issue 14; docs/temperature.md).

A station keeps homes as monitoring points and visits them every
`temperature_monitoring_days` in the season: a point whose `next_due_at` has come shows on
the station technicians' work page (/field/) and is visited with the measurement record
page (services.record_measurement moves `next_due_at` on). A data logger from the register
may be placed at a point; its CSV is imported here.

The logger CSV (one file per logger and point):

    serial,time,celsius
    DL-0001,2026-12-01 08:00,18.6
    DL-0001,2026-12-01 08:30,18.4

- UTF-8 (a BOM is fine) or GBK as Excel saves it; comma-separated; the header line first;
- `serial`: the logger's serial number as in the register, the logger placed at the point;
- `time`: local time (Asia/Shanghai) `YYYY-MM-DD HH:MM` (seconds `HH:MM:SS` are accepted);
- `celsius`: the reading in °C with a decimal point (-30 to 45), kept to 0.1 °C.

The file is checked whole before anything is stored: one bad row refuses the file, and
every bad row is listed with its line number and reason. The logger must be a registered
data logger in use, accurate to the policy's accuracy, with its calibration certificate
valid on each reading's day. Readings already stored (same logger and time) are skipped,
so importing a file again adds nothing. Logger readings are a series for watching the
point: they are not measurement records (no signature) and never count in pass rates.
"""

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.audit.models import Source
from utilitydesk.audit.services import diff_values, record_changes
from utilitydesk.customers.models import Premises
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope
from utilitydesk.policy.services import current_policy, is_heating_season

from . import method, services
from .models import (
    REFUSED_INSTRUMENT_KINDS,
    Instrument,
    InstrumentKind,
    LoggerReading,
    MonitoringPoint,
)

VIEW_POINTS = "temperature.view_monitoringpoint"
ADD_POINTS = "temperature.add_monitoringpoint"
CHANGE_POINTS = "temperature.change_monitoringpoint"
IMPORT_READINGS = "temperature.import_logger_readings"
VIEW_INSTRUMENTS = "temperature.view_instrument"
ADD_INSTRUMENTS = "temperature.add_instrument"
CHANGE_INSTRUMENTS = "temperature.change_instrument"

CSV_COLUMNS = ("serial", "time", "celsius")
CSV_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 20000
# Bad rows listed at most (the count of the rest is given).
CSV_MAX_ERRORS = 50
EXPIRING_DAYS = 30


def _local_day(moment: datetime) -> date:
    return moment.astimezone(method.LOCAL).date()


# --- reads: points ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PointFilters:
    station_id: int | None = None
    address: str = ""
    include_inactive: bool = False


def visible_points(user: AnyUser) -> QuerySet[MonitoringPoint]:
    """Points of the stations the user sees (station staff their own, others every one);
    none without the permission to read points and customers."""
    if not user.is_authenticated or not (
        user.has_perm(VIEW_POINTS) and user.has_perm("customers.view_customer")
    ):
        return MonitoringPoint.objects.none()
    points = MonitoringPoint.objects.all()
    scope = station_scope(user)
    if scope is not None:
        points = points.filter(station_id__in=scope)
    return points


def search_points(user: AnyUser, filters: PointFilters) -> QuerySet[MonitoringPoint]:
    """The points page's rows: active points, the longest overdue first."""
    points = visible_points(user)
    if not filters.include_inactive:
        points = points.filter(active=True)
    if filters.station_id is not None:
        points = points.filter(station_id=filters.station_id)
    if filters.address.strip():
        points = points.filter(premises__address_text__icontains=filters.address.strip())
    return points.select_related("premises", "station", "logger").order_by(
        "-active", "next_due_at", "pk"
    )


def point_for(user: AnyUser, point_id: int) -> MonitoringPoint | None:
    return (
        visible_points(user)
        .select_related("premises__customer", "premises__building", "station", "logger")
        .filter(pk=point_id)
        .first()
    )


def point_stations(user: AnyUser) -> QuerySet[OrgUnit]:
    """Stations the user may filter by or keep points and instruments at."""
    stations = OrgUnit.objects.filter(kind=UnitKind.STATION)
    scope = station_scope(user)
    if scope is not None:
        stations = stations.filter(pk__in=scope)
    return stations.order_by("code")


def premises_to_add(
    user: AnyUser, address: str, station_id: int | None = None, limit: int = 20
) -> list[Premises]:
    """Homes the user may make a monitoring point, found by their address: in the user's
    stations (or the chosen one), not already an active point."""
    text = address.strip()
    if len(text) < 2:
        return []
    premises = Premises.objects.filter(
        customer__in=visible_customers(user),
        station__isnull=False,
        address_text__icontains=text,
    ).exclude(pk__in=MonitoringPoint.objects.filter(active=True).values("premises_id"))
    scope = station_scope(user)
    if scope is not None:
        premises = premises.filter(station_id__in=scope)
    if station_id is not None:
        premises = premises.filter(station_id=station_id)
    return list(premises.select_related("station").order_by("address_text", "pk")[:limit])


def is_overdue(point: MonitoringPoint, now: datetime) -> bool:
    return point.active and (point.next_due_at is None or point.next_due_at <= now)


def due_points(
    user: AnyUser, *, now: datetime | None = None, limit: int = 20
) -> tuple[list[MonitoringPoint], int]:
    """Points of the user's stations due for a visit, in the heating season: shown to the
    station's field staff who record measurements (a company-wide person has no round).
    Returns the first ``limit`` (the longest overdue first) and how many are due."""
    now = now or timezone.now()
    if not user.is_authenticated or not user.has_perm("temperature.record_measurement"):
        return [], 0
    scope = station_scope(user)
    if not scope:
        return [], 0
    if not is_heating_season(_local_day(now), current_policy()):
        return [], 0
    due = MonitoringPoint.objects.filter(active=True, station_id__in=scope).filter(
        Q(next_due_at__isnull=True) | Q(next_due_at__lte=now)
    )
    rows = list(due.select_related("premises", "logger").order_by("next_due_at", "pk")[:limit])
    total = len(rows) if len(rows) < limit else due.count()
    return rows, total


# --- reads: logger readings -------------------------------------------------------------------


@dataclass(frozen=True)
class DaySummary:
    day: date
    count: int
    low: Decimal
    mean: Decimal
    high: Decimal


def daily_readings(point: MonitoringPoint, days: int = 14) -> list[DaySummary]:
    """The point's logger readings per local day (lowest, mean, highest), newest day first:
    the ``days`` days up to the newest reading."""
    newest = (
        LoggerReading.objects.filter(point=point)
        .order_by("-read_at")
        .values_list("read_at", flat=True)
        .first()
    )
    if newest is None:
        return []
    last_day = _local_day(newest)
    first_day = last_day - timedelta(days=days - 1)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=method.LOCAL)
    by_day: dict[date, list[Decimal]] = defaultdict(list)
    for read_at, celsius in LoggerReading.objects.filter(
        point=point, read_at__gte=start
    ).values_list("read_at", "celsius"):
        by_day[_local_day(read_at)].append(celsius)
    return [
        DaySummary(
            day=day,
            count=len(values),
            low=min(values),
            mean=method.round_tenth(sum(values, Decimal("0")) / len(values)),
            high=max(values),
        )
        for day, values in sorted(by_day.items(), reverse=True)
    ]


def recent_readings(point: MonitoringPoint, limit: int = 20) -> list[LoggerReading]:
    return list(
        LoggerReading.objects.filter(point=point)
        .select_related("instrument")
        .order_by("-read_at")[:limit]
    )


# --- writes: points ---------------------------------------------------------------------------


def _require(actor: Actor, perm: str, message: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(message)


def _locked_point(actor: Actor, point_id: int) -> MonitoringPoint:
    point = (
        visible_points(actor)
        .select_for_update(of=("self",))
        .select_related("premises")
        .filter(pk=point_id)
        .first()
    )
    if point is None:
        raise ValidationError({"point": [_("Unknown monitoring point.")]})
    return point


def add_point(
    premises_id: int, rooms: str = "", *, actor: Actor, now: datetime | None = None
) -> MonitoringPoint:
    """Make a home a monitoring point (services.add_monitoring_point), due at once; a second
    person adding the same home at the same moment gets the same refusal as the checks'."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return services.add_monitoring_point(premises_id, rooms, actor=actor, now=now)
    except IntegrityError:
        raise ValidationError(
            {"premises": [_("This home is already a monitoring point.")]}
        ) from None


def deactivate_point(
    point_id: int, *, actor: Actor, now: datetime | None = None
) -> MonitoringPoint:
    """The station stops visiting the home: the point leaves the lists and the due work,
    its logger is taken back; its records and readings stay."""
    now = now or timezone.now()
    _require(actor, CHANGE_POINTS, _("You are not allowed to keep monitoring points."))
    with transaction.atomic():
        point = _locked_point(actor, point_id)
        if not point.active:
            raise ValidationError({"point": [_("This monitoring point is no longer active.")]})
        before = {"active": point.active, "logger": point.logger_id, "next_due_at": None}
        point.active = False
        point.logger = None
        point.next_due_at = None
        point.save(update_fields=["active", "logger", "next_due_at"])
        record_changes(
            point,
            diff_values(before, {"active": False, "logger": None, "next_due_at": None}),
            Source.WEB,
            actor=actor,
            now=now,
        )
    return point


def loggers_to_place(user: AnyUser, point: MonitoringPoint) -> QuerySet[Instrument]:
    """Data loggers in use, kept by the point's station or company-wide, not placed at
    another active point."""
    placed = MonitoringPoint.objects.filter(active=True, logger__isnull=False).exclude(pk=point.pk)
    return (
        Instrument.objects.filter(kind=InstrumentKind.LOGGER, active=True)
        .filter(Q(station__isnull=True) | Q(station_id=point.station_id))
        .exclude(pk__in=placed.values("logger_id"))
        .order_by("serial_number")
    )


def place_logger(
    point_id: int, instrument_id: int, *, actor: Actor, now: datetime | None = None
) -> MonitoringPoint:
    """Place a data logger from the register at a point (replacing the one there)."""
    now = now or timezone.now()
    _require(actor, CHANGE_POINTS, _("You are not allowed to keep monitoring points."))
    with transaction.atomic():
        point = _locked_point(actor, point_id)
        if not point.active:
            raise ValidationError({"point": [_("This monitoring point is no longer active.")]})
        # The instrument's row serialises two points taking the same logger.
        logger = (
            Instrument.objects.select_for_update()
            .filter(
                Q(station__isnull=True) | Q(station_id=point.station_id),
                pk=instrument_id,
            )
            .first()
        )
        if logger is None:
            raise ValidationError({"logger": [_("Choose a data logger from the register.")]})
        if logger.kind != InstrumentKind.LOGGER:
            raise ValidationError({"logger": [_("This instrument is not a data logger.")]})
        problem = services.instrument_problem(logger, _local_day(now), services.policy_for(None))
        if problem:
            raise ValidationError({"logger": [problem]})
        elsewhere = (
            MonitoringPoint.objects.filter(active=True, logger=logger).exclude(pk=point.pk).first()
        )
        if elsewhere is not None:
            raise ValidationError(
                {
                    "logger": [
                        _("This logger is placed at another point: %(address)s.")
                        % {"address": elsewhere.premises.address_text}
                    ]
                }
            )
        before = point.logger_id
        point.logger = logger
        point.save(update_fields=["logger"])
        record_changes(
            point,
            diff_values({"logger": before}, {"logger": logger.pk}),
            Source.WEB,
            actor=actor,
            now=now,
        )
    return point


def remove_logger(point_id: int, *, actor: Actor, now: datetime | None = None) -> MonitoringPoint:
    now = now or timezone.now()
    _require(actor, CHANGE_POINTS, _("You are not allowed to keep monitoring points."))
    with transaction.atomic():
        point = _locked_point(actor, point_id)
        if point.logger_id is None:
            raise ValidationError({"logger": [_("No data logger is placed at this point.")]})
        before = point.logger_id
        point.logger = None
        point.save(update_fields=["logger"])
        record_changes(
            point,
            diff_values({"logger": before}, {"logger": None}),
            Source.WEB,
            actor=actor,
            now=now,
        )
    return point


# --- writes: the logger's CSV -----------------------------------------------------------------


@dataclass(frozen=True)
class LoggerImport:
    """What an import stored: new readings, those already there, the period covered."""

    added: int
    already: int
    first: datetime
    last: datetime


def _read_text(file: IO[bytes] | bytes) -> str:
    raw = file if isinstance(file, bytes) else file.read(CSV_MAX_BYTES + 1)
    if len(raw) > CSV_MAX_BYTES:
        raise ValidationError(
            {"file": [_("The file is larger than %(mb)d MB.") % {"mb": CSV_MAX_BYTES // 2**20}]}
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("The file is not a text CSV (UTF-8 or GBK).")]})


def _parse_time(text: str) -> datetime | None:
    for layout in CSV_TIME_FORMATS:
        try:
            naive = datetime.strptime(text.strip(), layout)
        except ValueError:
            continue
        return naive.replace(tzinfo=method.LOCAL)
    return None


def _parse_celsius(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or not services.READING_MIN <= value <= services.READING_MAX:
        return None
    return method.round_tenth(value)


def _refuse(errors: list[str]) -> ValidationError:
    shown = errors[:CSV_MAX_ERRORS]
    if len(errors) > CSV_MAX_ERRORS:
        shown.append(_("… and %(n)d more bad rows.") % {"n": len(errors) - CSV_MAX_ERRORS})
    return ValidationError(
        {
            "file": [
                _("The file was not imported: %(n)d bad rows. Correct them and upload it again.")
                % {"n": len(errors)}
            ],
            "rows": shown,
        }
    )


def _logger_problem(logger: Instrument) -> str | None:
    """Why the placed logger's readings are refused whatever their day (kind, in use,
    accuracy, certificate number); the certificate's date is checked per reading."""
    if logger.kind != InstrumentKind.LOGGER:
        return _("The instrument placed at this point is not a data logger.")
    # Asked on the certificate's last valid day: every check but the date.
    return services.instrument_problem(
        logger, logger.certificate_expires, services.policy_for(None)
    )


def _check_rows(
    text: str, logger: Instrument, *, now: datetime
) -> tuple[dict[datetime, Decimal], list[str]]:
    readings: dict[datetime, Decimal] = {}
    first_row: dict[datetime, int] = {}
    errors: list[str] = []
    known_serials: dict[str, bool] = {}
    reader = csv.reader(io.StringIO(text))
    header_seen = False
    count = 0
    for line, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if not header_seen:
            header_seen = True
            if tuple(cell.lower() for cell in cells) != CSV_COLUMNS:
                errors.append(
                    _("Row %(row)d: the first line must be the header %(header)s.")
                    % {"row": line, "header": ",".join(CSV_COLUMNS)}
                )
                return readings, errors
            continue
        count += 1
        if count > CSV_MAX_ROWS:
            errors.append(
                _("Row %(row)d: at most %(n)d readings in one file: split the file.")
                % {"row": line, "n": CSV_MAX_ROWS}
            )
            break

        def bad(reason: str, line: int = line) -> None:
            errors.append(_("Row %(row)d: %(reason)s") % {"row": line, "reason": reason})

        if len(cells) != len(CSV_COLUMNS):
            bad(_("expected 3 values (serial, time, celsius), found %(n)d.") % {"n": len(cells)})
            continue
        serial, time_text, celsius_text = cells
        if serial != logger.serial_number:
            if serial not in known_serials:
                known_serials[serial] = Instrument.objects.filter(
                    serial_number=serial, kind=InstrumentKind.LOGGER
                ).exists()
            if known_serials[serial]:
                bad(
                    _("logger %(serial)s is not the one placed at this point (%(placed)s).")
                    % {"serial": serial, "placed": logger.serial_number}
                )
            else:
                bad(
                    _("unknown serial number %(serial)s: not a data logger in the register.")
                    % {"serial": serial or "—"}
                )
            continue
        read_at = _parse_time(time_text)
        if read_at is None:
            bad(_("the time must be YYYY-MM-DD HH:MM, found %(t)s.") % {"t": time_text or "—"})
            continue
        if read_at > now + timedelta(minutes=5):
            bad(_("the time %(t)s is in the future.") % {"t": time_text})
            continue
        celsius = _parse_celsius(celsius_text)
        if celsius is None:
            bad(
                _("the reading must be a temperature in °C from %(lo)s to %(hi)s, found %(v)s.")
                % {
                    "lo": services.READING_MIN,
                    "hi": services.READING_MAX,
                    "v": celsius_text or "—",
                }
            )
            continue
        if logger.certificate_expires < _local_day(read_at):
            bad(
                _("the logger's calibration certificate expired on %(d)s.")
                % {"d": logger.certificate_expires.isoformat()}
            )
            continue
        if read_at in first_row:
            bad(_("the same time as row %(other)d.") % {"other": first_row[read_at]})
            continue
        first_row[read_at] = line
        readings[read_at] = celsius
    if not header_seen:
        errors.append(_("The file is empty."))
    elif not readings and not errors:
        errors.append(_("The file has no readings."))
    return readings, errors


def import_logger_csv(
    point_id: int, file: IO[bytes] | bytes, *, actor: Actor, now: datetime | None = None
) -> LoggerImport:
    """Import the CSV of the logger placed at a point (layout in the module's docstring):
    all rows or none; readings already stored are skipped (a second import adds nothing)."""
    now = now or timezone.now()
    _require(actor, IMPORT_READINGS, _("You are not allowed to import loggers' readings."))
    text = _read_text(file)
    with transaction.atomic():
        point = _locked_point(actor, point_id)
        if not point.active:
            raise ValidationError({"point": [_("This monitoring point is no longer active.")]})
        logger = Instrument.objects.filter(pk=point.logger_id).first() if point.logger_id else None
        if logger is None:
            raise ValidationError(
                {"file": [_("Place the data logger at this point before importing its file.")]}
            )
        problem = _logger_problem(logger)
        if problem:
            raise ValidationError({"file": [problem]})
        readings, errors = _check_rows(text, logger, now=now)
        if errors:
            raise _refuse(errors)
        first, last = min(readings), max(readings)
        stored = set(
            LoggerReading.objects.filter(
                instrument=logger, read_at__gte=first, read_at__lte=last
            ).values_list("read_at", flat=True)
        )
        new = [
            LoggerReading(point=point, instrument=logger, read_at=read_at, celsius=celsius)
            for read_at, celsius in sorted(readings.items())
            if read_at not in stored
        ]
        LoggerReading.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return LoggerImport(added=len(new), already=len(readings) - len(new), first=first, last=last)


# --- the thermometer register -----------------------------------------------------------------


def visible_instruments(user: AnyUser) -> QuerySet[Instrument]:
    """The register as the user sees it: station staff their stations' instruments and
    the company-wide ones; others every instrument."""
    if not user.is_authenticated or not user.has_perm(VIEW_INSTRUMENTS):
        return Instrument.objects.none()
    instruments = Instrument.objects.all()
    scope = station_scope(user)
    if scope is not None:
        instruments = instruments.filter(Q(station__isnull=True) | Q(station_id__in=scope))
    return instruments


def may_change_instrument(user: AnyUser, instrument: Instrument) -> bool:
    """Station staff change their stations' instruments; company-wide ones are kept by the
    company-wide people who may change instruments."""
    if not user.is_authenticated or not user.has_perm(CHANGE_INSTRUMENTS):
        return False
    scope = station_scope(user)
    return scope is None or instrument.station_id in scope


def certificate_state(instrument: Instrument, today: date) -> str:
    """ "expired", "expiring" (within EXPIRING_DAYS days) or "" for the register's list."""
    if instrument.certificate_expires < today:
        return "expired"
    if instrument.certificate_expires <= today + timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return ""


@dataclass(frozen=True)
class InstrumentInput:
    serial_number: str
    model_name: str
    kind: str
    accuracy: Decimal
    certificate_number: str
    certificate_expires: date
    station_id: int | None


INSTRUMENT_FIELDS = (
    "serial_number",
    "model_name",
    "kind",
    "accuracy",
    "certificate_number",
    "certificate_expires",
    "station_id",
)


def _check_instrument(data: InstrumentInput, *, actor: Actor, pk: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not data.serial_number.strip():
        errors["serial_number"] = [_("Give the serial number.")]
    elif (
        Instrument.objects.filter(serial_number__iexact=data.serial_number.strip())
        .exclude(pk=pk or 0)
        .exists()
    ):
        errors["serial_number"] = [_("An instrument with this serial number is registered.")]
    if data.kind not in InstrumentKind.values:
        errors["kind"] = [_("Choose the type.")]
    if not data.accuracy.is_finite() or data.accuracy <= 0 or data.accuracy >= 10:
        errors["accuracy"] = [_("The accuracy is a positive number of °C (for ±0.3 °C: 0.3).")]
    if not data.certificate_number.strip():
        errors["certificate_number"] = [_("Give the calibration certificate number.")]
    scope = station_scope(actor)
    if scope is not None and data.station_id not in scope:
        errors["station"] = [_("Register the instrument at your station.")]
    elif (
        data.station_id is not None
        and not OrgUnit.objects.filter(pk=data.station_id, kind=UnitKind.STATION).exists()
    ):
        errors["station"] = [_("Choose a heating station.")]
    if errors:
        raise ValidationError(errors)


def _fill(instrument: Instrument, data: InstrumentInput) -> None:
    instrument.serial_number = data.serial_number.strip()
    instrument.model_name = data.model_name.strip()
    instrument.kind = data.kind
    instrument.accuracy = data.accuracy.quantize(Decimal("0.01"))
    instrument.certificate_number = data.certificate_number.strip()
    instrument.certificate_expires = data.certificate_expires
    instrument.station_id = data.station_id


def _snapshot(instrument: Instrument) -> dict[str, object]:
    return {name: getattr(instrument, name) for name in (*INSTRUMENT_FIELDS, "active")}


def register_instrument(
    data: InstrumentInput, *, actor: Actor, now: datetime | None = None
) -> Instrument:
    """Add a thermometer to the register. Infrared and laser devices may be registered
    (the company owns them) but are refused at every measurement (R-705)."""
    now = now or timezone.now()
    _require(actor, ADD_INSTRUMENTS, _("You are not allowed to register instruments."))
    _check_instrument(data, actor=actor, pk=None)
    instrument = Instrument()
    _fill(instrument, data)
    try:
        with transaction.atomic():
            instrument.save()
            record_changes(
                instrument,
                diff_values({}, _snapshot(instrument)),
                Source.WEB,
                actor=actor,
                now=now,
            )
    except IntegrityError:
        raise ValidationError(
            {"serial_number": [_("An instrument with this serial number is registered.")]}
        ) from None
    return instrument


def _locked_instrument(actor: Actor, instrument_id: int) -> Instrument:
    instrument = visible_instruments(actor).select_for_update().filter(pk=instrument_id).first()
    if instrument is None:
        raise ValidationError({"instrument": [_("Unknown instrument.")]})
    if not may_change_instrument(actor, instrument):
        raise PermissionDenied(_("This instrument is kept by another unit."))
    return instrument


def change_instrument(
    instrument_id: int, data: InstrumentInput, *, actor: Actor, now: datetime | None = None
) -> Instrument:
    """Correct an instrument or record its new calibration certificate."""
    now = now or timezone.now()
    _require(actor, CHANGE_INSTRUMENTS, _("You are not allowed to change instruments."))
    try:
        with transaction.atomic():
            instrument = _locked_instrument(actor, instrument_id)
            _check_instrument(data, actor=actor, pk=instrument.pk)
            before = _snapshot(instrument)
            _fill(instrument, data)
            instrument.save()
            record_changes(
                instrument,
                diff_values(before, _snapshot(instrument)),
                Source.WEB,
                actor=actor,
                now=now,
            )
    except IntegrityError:
        raise ValidationError(
            {"serial_number": [_("An instrument with this serial number is registered.")]}
        ) from None
    return instrument


def retire_instrument(
    instrument_id: int, *, actor: Actor, now: datetime | None = None
) -> Instrument:
    """Take an instrument out of use (its records keep it); a logger is taken back from
    its point."""
    now = now or timezone.now()
    _require(actor, CHANGE_INSTRUMENTS, _("You are not allowed to change instruments."))
    with transaction.atomic():
        instrument = _locked_instrument(actor, instrument_id)
        if not instrument.active:
            raise ValidationError({"instrument": [_("This instrument is already retired.")]})
        instrument.active = False
        instrument.save(update_fields=["active"])
        record_changes(instrument, {"active": ("1", "0")}, Source.WEB, actor=actor, now=now)
        for point in MonitoringPoint.objects.select_for_update().filter(logger=instrument):
            point.logger = None
            point.save(update_fields=["logger"])
            record_changes(
                point, {"logger": (str(instrument.pk), "")}, Source.WEB, actor=actor, now=now
            )
    return instrument


def refused_for_measurements(instrument: Instrument) -> bool:
    """Infrared and laser thermometers: registered, never used for a measurement (R-705)."""
    return instrument.kind in REFUSED_INSTRUMENT_KINDS
