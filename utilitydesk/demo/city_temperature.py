"""The synthetic city's indoor temperature season (``make_city``; the pass-rate benchmark):
thermometers in the register, monitoring points for about 1 % of the homes, and a season of
signed measurement records with their rooms and readings judged by the same method and
policy as live records (``temperature.method``), the failed homes' refund credits among
them. Rows go in by COPY through ``kernel.bulk``; a second run adds only what is missing."""

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from utilitydesk.kernel.bulk import IdBlock, RowWriter, fix_sequences
from utilitydesk.org.models import OrgUnit, Position, UnitKind
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy
from utilitydesk.temperature import method
from utilitydesk.temperature.models import (
    CreditStatus,
    Instrument,
    InstrumentKind,
    MeasuredRoom,
    Measurement,
    MonitoringPoint,
    Purpose,
    Reading,
    RefundCredit,
)
from utilitydesk.temperature.services import credit_days, fee_fraction

# Every generated record points at this one stored signature (a valid record needs one).
SIGNATURE_PATH = "temperature/signatures/city/signature.png"
MEASUREMENTS_PER_CUSTOMER = 0.2  # 1,000,000 households: 200,000 records a season
MONITORING_SHARE = 0.01
COLD_SHARE = 0.08  # homes measured below 18 °C
INSTRUMENTS_PER_STATION = 2
# Room layouts of a flat: (kind, smallest and largest area in m²), the first rooms first.
ROOM_PLAN = [
    ("living_room", 14.0, 45.0),
    ("bedroom", 9.0, 22.0),
    ("bedroom", 8.0, 16.0),
    ("study", 6.0, 14.0),
]
ROOMS_WEIGHTS = [0.15, 0.35, 0.35, 0.15]  # 1, 2, 3 or 4 rooms measured


@dataclass
class TemperatureReport:
    instruments: int = 0
    monitoring_points: int = 0
    measurements: int = 0
    credits: int = 0


def signature_png() -> bytes:
    """A small drawn signature (a PNG of a scribble)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (120, 40), 255)
    draw = ImageDraw.Draw(image)
    draw.line([(8, 28), (30, 10), (44, 30), (62, 12), (80, 28), (110, 16)], fill=0, width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def ensure_signature() -> str:
    if not default_storage.exists(SIGNATURE_PATH):
        default_storage.save(SIGNATURE_PATH, ContentFile(signature_png()))
    return SIGNATURE_PATH


def ensure_instruments(season_end: date) -> dict[int, list[int]]:
    """Two contact thermometers per station, certified beyond the season: station id →
    instrument ids."""
    stations = list(OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("pk"))
    existing = set(Instrument.objects.values_list("serial_number", flat=True))
    fresh = [
        Instrument(
            serial_number=f"CT-{station.code}-{n}",
            model_name="JM624 精密数字温度计",
            kind=InstrumentKind.CONTACT,
            accuracy=Decimal("0.20"),
            certificate_number=f"JZ{season_end.year}-{station.pk:04d}{n}",
            certificate_expires=season_end + timedelta(days=120),
            station=station,
        )
        for station in stations
        for n in range(1, INSTRUMENTS_PER_STATION + 1)
        if f"CT-{station.code}-{n}" not in existing
    ]
    Instrument.objects.bulk_create(fresh)
    by_station: dict[int, list[int]] = {}
    for pk, station_id in Instrument.objects.filter(
        serial_number__startswith="CT-ST-", kind=InstrumentKind.CONTACT, active=True
    ).values_list("pk", "station_id"):
        by_station.setdefault(station_id, []).append(pk)
    return by_station


def _technicians() -> dict[int, list[int]]:
    """Station id → its technicians (members of the station or of its teams)."""
    users = get_user_model().objects.filter(
        assignments__position=Position.TECHNICIAN, assignments__is_active=True
    )
    by_station: dict[int, list[int]] = {}
    for user_id, unit_id, parent_id, kind in users.values_list(
        "pk", "assignments__unit_id", "assignments__unit__parent_id", "assignments__unit__kind"
    ):
        station = unit_id if kind == UnitKind.STATION else parent_id
        if station:
            by_station.setdefault(station, []).append(user_id)
    return by_station


def _homes() -> list[tuple[int, int, int | None, Decimal]]:
    """(premises, station, substation, heated area) of every premises with a station."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, p.station_id, b.substation_id, p.heated_area FROM customers_premises p "
            "JOIN area_building b ON b.id = p.building_id "
            "WHERE p.station_id IS NOT NULL ORDER BY p.id"
        )
        return [(a, b, c, Decimal(d)) for a, b, c, d in cursor.fetchall()]


def ensure_monitoring_points(
    homes: list[tuple[int, int, int | None, Decimal]], rng: random.Random, now: datetime
) -> dict[int, int]:
    """About 1 % of the homes kept as monitoring points: premises id → point id."""
    wanted = max(1, round(len(homes) * MONITORING_SHARE)) if homes else 0
    points = dict(MonitoringPoint.objects.filter(active=True).values_list("premises_id", "pk"))
    missing = wanted - len(points)
    if missing > 0:
        step = max(1, len(homes) // wanted)
        ids = IdBlock(MonitoringPoint)
        with transaction.atomic(), RowWriter(MonitoringPoint) as writer:
            for premises_id, station_id, _sub, _area in homes[rng.randrange(step) :: step]:
                if missing <= 0:
                    break
                if premises_id in points:
                    continue
                pk = ids.take()
                writer.write(
                    id=pk,
                    premises_id=premises_id,
                    station_id=station_id,
                    rooms="主卧、客厅",
                    active=True,
                    next_due_at=now + timedelta(hours=rng.randrange(1, 24 * 7)),
                    created_at=now - timedelta(days=30),
                )
                points[premises_id] = pk
                missing -= 1
        fix_sequences([MonitoringPoint])
    return points


def _home_target(rng: random.Random) -> float:
    """The home's true temperature: most 18–22 °C, about 8 % below 18 °C (most of those
    16–18 °C, a few colder)."""
    if rng.random() < COLD_SHARE:
        roll = rng.random()
        if roll < 0.7:
            return rng.uniform(16.0, 17.85)
        if roll < 0.93:
            return rng.uniform(14.0, 16.0)
        return rng.uniform(11.5, 14.0)
    return min(25.5, max(18.25, rng.gauss(20.2, 1.2)))


def _rooms(rng: random.Random, target: float) -> list[tuple[str, Decimal, list[Decimal]]]:
    count = rng.choices([1, 2, 3, 4], weights=ROOMS_WEIGHTS)[0]
    rooms = []
    for kind, smallest, largest in ROOM_PLAN[:count]:
        area = Decimal(str(round(rng.uniform(smallest, largest), 1)))
        if kind == "living_room" and rng.random() < 0.04:
            area = Decimal(str(round(rng.uniform(60.0, 75.0), 1)))  # a large open plan
        room = target + rng.uniform(-0.3, 0.3)
        readings = [
            method.round_tenth(Decimal(str(room + rng.uniform(-0.2, 0.2))))
            for _ in range(method.points_required(area))
        ]
        rooms.append((kind, area, readings))
    return rooms


def _season_window(policy: PolicyVersion, now: datetime) -> tuple[int, date, date, datetime]:
    """The current season, its bounds, and the last moment a record may carry: now, or
    the season's end. Before a season has begun, the one that ended."""
    season = method.season_of(now, policy.season_start)
    start, end = method.season_bounds(season, policy.season_start, policy.season_end)
    if now.astimezone(method.LOCAL).date() < start:
        season -= 1
        start, end = method.season_bounds(season, policy.season_start, policy.season_end)
    last = min(now, datetime.combine(end, time(21, 0), tzinfo=method.LOCAL))
    return season, start, end, last


def generate_measurements(
    count: int,
    now: datetime,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> TemperatureReport:
    """Make sure the current season has ``count`` valid measurement records spread over
    the stations' homes (each 1–4 rooms, the method's points, a signed record), with
    instruments and monitoring points; failed homes get their refund credits."""
    policy = current_policy() or PolicyVersion()
    season, season_start, season_end, last = _season_window(policy, now)
    report = TemperatureReport()
    existing = Measurement.objects.filter(season=season, valid=True).count()
    instruments = ensure_instruments(season_end)
    report.instruments = sum(len(v) for v in instruments.values())
    homes = _homes()
    rng = random.Random(seed * 7_919 + existing)  # nosec B311: synthetic city
    points = ensure_monitoring_points(homes, rng, now)
    report.monitoring_points = len(points)
    wanted = count - existing
    if wanted <= 0 or not homes:
        return report
    technicians = _technicians()
    fallback_tech = next(iter(technicians.values()))[0] if technicians else None
    if fallback_tech is None:
        raise RuntimeError("no technicians: load the organisation first (load_demo)")
    signature = ensure_signature()
    counted = method.counted_kinds(policy.temperature_counted_rooms)
    rule = policy.temperature_home_rule
    target, tolerance = policy.temperature_target, policy.temperature_tolerance_below
    bands = method.parse_bands(policy.temperature_refund_bands)
    season_days = (season_end - season_start).days + 1
    first = datetime.combine(season_start, time(8, 0), tzinfo=method.LOCAL)
    span = max((last - first).total_seconds(), 3600.0)
    any_instrument = next(iter(instruments.values()))[0]
    decider = (
        get_user_model()
        .objects.filter(assignments__position=policy.temperature_refund_approver)
        .values_list("pk", flat=True)
        .first()
    )
    ids = {m: IdBlock(m) for m in (Measurement, MeasuredRoom, Reading, RefundCredit)}
    per_day: dict[tuple[int, date], int] = {}
    chunk = 20_000
    done = 0
    while done < wanted:
        size = min(chunk, wanted - done)
        with (
            transaction.atomic(),
            RowWriter(Measurement) as measurements,
            RowWriter(MeasuredRoom) as rooms_out,
            RowWriter(Reading) as readings_out,
            RowWriter(RefundCredit) as credits,
        ):
            for _ in range(size):
                premises_id, station_id, substation_id, heated_area = homes[
                    rng.randrange(len(homes))
                ]
                # A visit in the hours of the day, at most two per household per day.
                while True:
                    moment = first + timedelta(seconds=rng.uniform(0, span))
                    local = moment.astimezone(method.LOCAL)
                    if not 8 <= local.hour < 21:
                        moment = moment.replace(hour=8 + rng.randrange(13))
                        local = moment.astimezone(method.LOCAL)
                    if moment > last:
                        moment = last - timedelta(minutes=rng.randrange(60, 600))
                    key = (premises_id, moment.astimezone(method.LOCAL).date())
                    if per_day.get(key, 0) < policy.temperature_daily_limit:
                        per_day[key] = per_day.get(key, 0) + 1
                        break
                measured_at = moment
                signed_at = measured_at + timedelta(minutes=rng.randrange(20, 50))
                techs = technicians.get(station_id) or [fallback_tech]
                tech = techs[rng.randrange(len(techs))]
                kit = instruments.get(station_id) or [any_instrument]
                rooms = _rooms(rng, _home_target(rng))
                results = []
                measurement_id = ids[Measurement].take()
                for position, (kind, area, values) in enumerate(rooms, start=1):
                    celsius = method.room_celsius(values)
                    results.append(method.RoomResult(kind, area, celsius))
                    room_id = ids[MeasuredRoom].take()
                    rooms_out.write(
                        id=room_id,
                        measurement_id=measurement_id,
                        position=position,
                        kind=kind,
                        name="",
                        area_m2=area,
                        points_required=len(values),
                        celsius=celsius,
                        counted=kind in counted,
                        passed=method.passes(celsius, target, tolerance),
                    )
                    for point, value in enumerate(values, start=1):
                        readings_out.write(
                            id=ids[Reading].take(),
                            room_id=room_id,
                            point=point,
                            celsius=value,
                            read_at=measured_at + timedelta(minutes=2 * (position - 1) + point),
                        )
                home = method.home_celsius(results, counted, rule)
                passed = method.passes(home, target, tolerance)
                point_id = points.get(premises_id)
                day = measured_at.astimezone(method.LOCAL).date()
                measurements.write(
                    id=measurement_id,
                    number=f"CW{day:%Y%m%d}{measurement_id:06d}",
                    premises_id=premises_id,
                    station_id=station_id,
                    substation_id=substation_id,
                    season=season,
                    case_id=None,
                    monitoring_point_id=point_id,
                    purpose=Purpose.MONITORING if point_id else Purpose.REQUEST,
                    policy_version_id=policy.pk,
                    instrument_id=kit[rng.randrange(len(kit))],
                    technician_id=tech,
                    measured_at=measured_at,
                    outdoor_celsius=Decimal(rng.randrange(-150, 50)) / 10,
                    height_m=Decimal("1.20"),
                    doors_windows_closed=True,
                    no_heat_source=True,
                    target_celsius=target,
                    home_celsius=home,
                    passed=passed,
                    valid=True,
                    signature=signature,
                    signed_at=signed_at,
                    note="",
                    photos=[],
                    remeasures_id=None,
                    created_at=signed_at,
                    created_by_id=tech,
                )
                share = method.refund_share(home, bands)
                if not passed and share > 0 and not point_id:
                    report.credits += 1
                    _write_credit(
                        credits,
                        ids[RefundCredit].take(),
                        rng,
                        premises_id=premises_id,
                        measurement_id=measurement_id,
                        season=season,
                        celsius=home,
                        share=share,
                        day=day,
                        bounds=(season_start, season_end, season_days),
                        last=last.astimezone(method.LOCAL).date(),
                        heated_area=heated_area,
                        approver=policy.temperature_refund_approver,
                        policy_id=policy.pk,
                        decider=decider,
                        created_at=signed_at,
                    )
        done += size
        report.measurements += size
        if progress:
            progress(size)
    fix_sequences([Measurement, MeasuredRoom, Reading, RefundCredit])
    return report


def _write_credit(
    writer: RowWriter,
    pk: int,
    rng: random.Random,
    *,
    season: int,
    share: Decimal,
    day: date,
    bounds: tuple[date, date, int],
    last: date,
    **fields: Any,
) -> None:
    """A failed home's credit: still running when the re-measurement is not due yet, else
    ended a few days later (adjusted and re-measured) and awaiting or past approval."""
    season_start, season_end, season_days = bounds
    ended = day + timedelta(days=rng.randrange(2, 9))
    common = {
        "id": pk,
        "premises_id": fields["premises_id"],
        "measurement_id": fields["measurement_id"],
        "season": season,
        "celsius": fields["celsius"],
        "share": share,
        "period_start": day,
        "season_days": season_days,
        "heated_area": fields["heated_area"],
        "approver_position": fields["approver"],
        "policy_version_id": fields["policy_id"],
        "created_at": fields["created_at"],
    }
    if ended > last:
        writer.write(**common, status=CreditStatus.OPEN, days=0, fee_fraction=Decimal("0"))
        return
    days = credit_days(day, ended, season_start, season_end)
    roll = rng.random()
    status = (
        CreditStatus.PENDING
        if roll < 0.6
        else CreditStatus.APPROVED
        if roll < 0.95
        else CreditStatus.REJECTED
    )
    decided = status != CreditStatus.PENDING and fields["decider"] is not None
    writer.write(
        **common,
        status=status if decided or status == CreditStatus.PENDING else CreditStatus.PENDING,
        decided_by_id=fields["decider"] if decided else None,
        decided_at=datetime.combine(ended, time(10, 0), tzinfo=method.LOCAL) if decided else None,
        period_end=ended,
        days=days,
        fee_fraction=fee_fraction(share, days, season_days),
        decision_note="复测前已自行恢复，经核实不予退费"
        if decided and status == CreditStatus.REJECTED
        else "",
    )
