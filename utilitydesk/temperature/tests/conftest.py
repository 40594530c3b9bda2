"""Shared pieces of the temperature tests: a thermometer in the register, a temperature
case on site, and a record's input with the right point counts."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import open_case
from utilitydesk.cases import services as case_services
from utilitydesk.temperature import services
from utilitydesk.temperature.models import Instrument, InstrumentKind

LOCAL = ZoneInfo("Asia/Shanghai")
# A Tuesday in the heating season, 10:00 in Shanghai.
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=LOCAL)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def thermometer(org):
    return Instrument.objects.create(
        serial_number="WD-001",
        model_name="精密数字温度计",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.20"),
        certificate_number="JZ2026-0815",
        certificate_expires=date(2027, 6, 30),
        station=org["east"],
    )


def temperature_case(people, customers, *, now=NOW, book_at=None):
    """A measurement request for the east customer, accepted by the technician and (with
    ``book_at``) booked."""
    case = open_case(
        people["agent"], customers["east"], kind="temperature", content="家里冷", now=now
    )
    case_services.accept(case.number, actor=people["tech"], now=now + timedelta(minutes=5))
    if book_at is not None:
        case_services.book(
            case.number, book_at, actor=people["tech"], now=now + timedelta(minutes=6)
        )
    return case


def on_site(people, customers, *, now=NOW):
    case = temperature_case(people, customers, now=now, book_at=now + timedelta(hours=2))
    case_services.arrive(case.number, actor=people["tech"], now=now + timedelta(hours=2))
    return case


def room(kind, area, *values):
    return services.RoomInput(
        kind=kind, area_m2=area, readings=[services.ReadingInput(v) for v in values]
    )


def record_input(case=None, thermometer=None, *, rooms=None, signed=True, **kw):
    return services.MeasurementInput(
        instrument_id=thermometer.pk if thermometer else None,
        outdoor_celsius=kw.pop("outdoor", "-5.0"),
        height_m=kw.pop("height", "1.20"),
        doors_windows_closed=kw.pop("closed", True),
        no_heat_source=kw.pop("no_heat", True),
        rooms=rooms
        if rooms is not None
        else [
            room("bedroom", "12.5", "18.6"),
            room("living_room", "24", "18.2", "18.4"),
            room("bedroom", "35", "18.0", "18.1", "18.2"),
        ],
        signature_png=PNG if signed else None,
        case_number=case.number if case else "",
        **kw,
    )
