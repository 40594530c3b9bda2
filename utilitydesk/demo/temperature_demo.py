"""The demo company's indoor temperature work (``load_demo``), made through the same services
as real work over the last three days: the thermometer register (one certificate expired,
one infrared thermometer to show the refusal), two monitoring points, a home that passed, a
home that failed, was adjusted and re-measured (its refund waits for the service office),
a home still below the target (its refund running), and a monitoring-point visit."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case
from utilitydesk.customers.models import Premises
from utilitydesk.org.models import OrgUnit
from utilitydesk.temperature import method, services
from utilitydesk.temperature.models import Instrument, InstrumentKind, Measurement, MonitoringPoint

from .city_temperature import signature_png

# (serial, model, kind, accuracy, certificate, valid until (days from today), station)
INSTRUMENTS = [
    ("WD-E01", "JM624 精密数字温度计", InstrumentKind.CONTACT, "0.20", "JZ2026-0815", 220, "ST-E"),
    ("WD-E02", "JM624 精密数字温度计", InstrumentKind.CONTACT, "0.20", "JZ2026-0816", 220, "ST-E"),
    ("WD-W01", "TES-1310 接触式温度计", InstrumentKind.CONTACT, "0.30", "JZ2026-0902", 180, "ST-W"),
    ("WD-S01", "JM624 精密数字温度计", InstrumentKind.CONTACT, "0.20", "JZ2026-0911", 200, "ST-S"),
    # Its certificate has lapsed: the record page refuses it.
    ("WD-E09", "JM624 精密数字温度计", InstrumentKind.CONTACT, "0.20", "JZ2025-0301", -24, "ST-E"),
    # Measures a surface, not the air: refused whatever its certificate.
    ("HW-E01", "红外测温枪 GM320", InstrumentKind.INFRARED, "0.30", "JZ2026-1020", 300, "ST-E"),
    ("LOG-E01", "温湿度记录仪 RC-4", InstrumentKind.LOGGER, "0.20", "JZ2026-0720", 250, "ST-E"),
]


def _rooms(*rooms: tuple[str, str, tuple[str, ...]]) -> list[services.RoomInput]:
    return [
        services.RoomInput(
            kind=kind, area_m2=area, readings=[services.ReadingInput(v) for v in values]
        )
        for kind, area, values in rooms
    ]


def _record(
    case_number: str, instrument: Instrument, rooms: list[services.RoomInput], **kw: Any
) -> services.MeasurementInput:
    return services.MeasurementInput(
        instrument_id=instrument.pk,
        outdoor_celsius=kw.pop("outdoor", "-6.5"),
        height_m="1.20",
        doors_windows_closed=True,
        no_heat_source=True,
        rooms=rooms,
        signature_png=signature_png(),
        case_number=case_number,
        **kw,
    )


def _visit(number: str, tech: Any, *, received: datetime, at: datetime) -> None:
    """Accept, book and arrive for a measurement case received at ``received``."""
    case_services.accept(number, actor=tech, now=received + timedelta(minutes=10))
    case_services.book(number, at, actor=tech, now=received + timedelta(minutes=15))
    case_services.arrive(number, actor=tech, now=at)


def load_temperature_demo(users: dict[str, Any], today: date | None = None) -> int:
    """Returns the number of measurement records made (none when they exist already or the
    demo has no customers)."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    stations = {u.code: u for u in OrgUnit.objects.filter(code__in=["ST-E", "ST-W", "ST-S"])}
    kit = {}
    for serial, model, kind, accuracy, certificate, days, station in INSTRUMENTS:
        kit[serial], _ = Instrument.objects.get_or_create(
            serial_number=serial,
            defaults={
                "model_name": model,
                "kind": kind,
                "accuracy": Decimal(accuracy),
                "certificate_number": certificate,
                "certificate_expires": today + timedelta(days=days),
                "station": stations.get(station),
            },
        )
    if Measurement.objects.exists():
        return 0
    demo = Premises.objects.filter(customer__account_no__startswith="1001").order_by(
        "customer__account_no"
    )
    east = list(demo.filter(station__code="ST-E")[8:13])  # the first eight have cases
    west = list(demo.filter(station__code="ST-W")[:1])
    if len(east) < 5 or not west:
        return 0
    agent, tech, leader = users["agent"], users["tech_east"], users["leader_east"]

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(today - timedelta(days=3 - day), time(hour, minute), method.LOCAL)

    # Monitoring points: two homes of the east station, one with a data logger.
    points = [
        services.add_monitoring_point(p.pk, "主卧、客厅", actor=leader, now=at(0, 8))
        for p in east[3:5]
    ]
    MonitoringPoint.objects.filter(pk=points[0].pk).update(logger=kit["LOG-E01"])

    def request(premises: Premises, text: str, when: datetime) -> str:
        return services.request_measurement(premises.pk, text, actor=agent, now=when).number

    # A home that passed.
    number = request(east[0], "屋里有点凉，申请测温", at(0, 9))
    _visit(number, tech, received=at(0, 9), at=at(0, 10))
    warm = _rooms(("bedroom", "14.2", ("20.1",)), ("living_room", "26.5", ("20.4", "20.6")))
    services.record_measurement(_record(number, kit["WD-E01"], warm), actor=tech, now=at(0, 10, 40))

    # A home below the target: adjusted, re-measured, its refund awaiting the office.
    number = request(east[1], "家里只有16度，老人怕冷", at(0, 9, 10))
    _visit(number, tech, received=at(0, 9, 10), at=at(0, 14))
    cold = _rooms(
        ("bedroom", "12.0", ("16.6",)),
        ("living_room", "22.0", ("16.9", "17.1")),
        ("kitchen", "6.5", ("15.8",)),
    )
    failed = services.record_measurement(
        _record(number, kit["WD-E01"], cold, note="暖气片上部凉，疑似气堵"),
        actor=tech,
        now=at(0, 14, 40),
    )
    adjustment = Case.objects.get(**{f"attributes__{services.ADJUSTMENT_FOR}": failed.number})
    case_services.accept(adjustment.number, actor=tech, now=at(1, 9))
    case_services.arrive(adjustment.number, actor=tech, now=at(1, 9, 30))
    case_services.resolve(
        adjustment.number,
        case_services.Resolution(
            work_done="散热器排气，调节立管平衡阀", signature_png=signature_png()
        ),
        actor=tech,
        now=at(1, 10, 30),
    )
    again = Case.objects.get(**{f"attributes__{services.REMEASURES}": failed.number})
    _visit(again.number, tech, received=at(1, 10, 30), at=at(2, 10))
    better = _rooms(("bedroom", "12.0", ("18.8",)), ("living_room", "22.0", ("19.0", "19.2")))
    services.record_measurement(
        _record(again.number, kit["WD-E02"], better), actor=tech, now=at(2, 10, 40)
    )

    # A monitoring-point visit.
    services.record_measurement(
        services.MeasurementInput(
            instrument_id=kit["WD-E02"].pk,
            outdoor_celsius="-8.0",
            height_m="1.20",
            doors_windows_closed=True,
            no_heat_source=True,
            rooms=_rooms(
                ("bedroom", "15.0", ("19.4",)), ("living_room", "31.0", ("19.6", "19.8", "19.7"))
            ),
            signature_png=signature_png(),
            monitoring_point_id=points[0].pk,
        ),
        actor=tech,
        now=at(1, 15),
    )

    # A west home still below the target: its refund runs until the next measurement.
    tech_west = users["tech_west"]
    number = request(west[0], "卧室温度不到18度", at(2, 9))
    _visit(number, tech_west, received=at(2, 9), at=at(2, 15))
    colder = _rooms(("bedroom", "11.0", ("15.1",)), ("living_room", "19.5", ("15.4", "15.2")))
    services.record_measurement(
        _record(number, kit["WD-W01"], colder, outdoor="-11.0"), actor=tech_west, now=at(2, 15, 40)
    )
    return Measurement.objects.count()
