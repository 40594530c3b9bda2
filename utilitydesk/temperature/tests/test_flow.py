"""The measurement flow of R-702 through the services: booking inside the window, the
signed record resolving the case, a failed home's adjustment, re-measurement and refund."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Channel, Kind, Status
from utilitydesk.notifications.models import Message
from utilitydesk.temperature import services
from utilitydesk.temperature.models import (
    CreditStatus,
    Instrument,
    InstrumentKind,
    Measurement,
    RefundCredit,
)

from .conftest import NOW, on_site, record_input, room, temperature_case

pytestmark = pytest.mark.django_db


def test_booking_outside_the_window_is_refused(people, customers):
    case = temperature_case(people, customers)
    for at, words in [
        (NOW + timedelta(hours=30), "24"),  # beyond 24 h of the request
        (NOW.replace(hour=21, minute=30), "08:00-21:00"),  # after 21:00
    ]:
        with pytest.raises(ValidationError) as error:
            case_services.book(
                case.number, at, actor=people["tech"], now=NOW + timedelta(minutes=10)
            )
        assert words in str(error.value.message_dict["appointment_at"])
    booked = case_services.book(
        case.number, NOW.replace(hour=20, minute=30), actor=people["tech"], now=NOW
    )
    assert booked.status == Status.BOOKED


def test_a_third_measurement_in_a_day_is_refused(people, customers):
    temperature_case(people, customers, book_at=NOW + timedelta(hours=1))
    temperature_case(people, customers, book_at=NOW + timedelta(hours=3))
    third = temperature_case(people, customers)
    with pytest.raises(ValidationError) as error:
        case_services.book(third.number, NOW + timedelta(hours=5), actor=people["tech"], now=NOW)
    assert "2" in str(error.value.message_dict["appointment_at"])
    # The next morning is fine (still within 24 h of the request).
    case_services.book(third.number, NOW + timedelta(hours=23), actor=people["tech"], now=NOW)


def test_the_signed_record_resolves_the_case_and_texts_the_result(people, customers, thermometer):
    case = on_site(people, customers)
    later = NOW + timedelta(hours=2, minutes=30)
    measurement = services.record_measurement(
        record_input(case, thermometer), actor=people["tech"], now=later
    )
    assert measurement.valid and measurement.passed
    assert [r.points_required for r in measurement.rooms.all()] == [1, 2, 3]
    assert [r.readings.count() for r in measurement.rooms.all()] == [1, 2, 3]
    # Area-weighted mean of bedrooms and the living room: (18.6·12.5 + 18.3·24 + 18.1·35) / 71.5 = 18.25…
    assert measurement.home_celsius == Decimal("18.3")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"
    assert measurement.number in case.resolution
    text = Message.objects.get(reference=f"temperature:{measurement.number}")
    assert "18.3" in text.body


def test_wrong_point_counts_and_missing_conditions_are_refused_with_reasons(
    people, customers, thermometer
):
    case = on_site(people, customers)
    data = record_input(
        case,
        thermometer,
        rooms=[room("bedroom", "20", "18.0"), room("living_room", "65", "18", "18", "18")],
        closed=False,
        height="1.5",
    )
    with pytest.raises(ValidationError) as error:
        services.record_measurement(data, actor=people["tech"], now=NOW + timedelta(hours=3))
    fields = error.value.message_dict
    assert set(fields) >= {"rooms", "doors_windows_closed", "height_m"}
    assert any("2" in message for message in fields["rooms"])
    assert any("5" in message for message in fields["rooms"])
    assert not Measurement.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Status.ON_SITE


@pytest.mark.parametrize(
    "change",
    [
        {"kind": InstrumentKind.INFRARED},
        {"kind": InstrumentKind.LASER},
        {"certificate_expires": NOW.date() - timedelta(days=1)},
        {"accuracy": Decimal("0.5")},
    ],
)
def test_refused_instruments(people, customers, thermometer, change):
    Instrument.objects.filter(pk=thermometer.pk).update(**change)
    case = on_site(people, customers)
    with pytest.raises(ValidationError) as error:
        services.record_measurement(
            record_input(case, thermometer), actor=people["tech"], now=NOW + timedelta(hours=3)
        )
    assert "instrument" in error.value.message_dict
    assert not Measurement.objects.exists()


def test_no_signature_no_record_and_no_resolution(people, customers, thermometer):
    case = on_site(people, customers)
    with pytest.raises(ValidationError) as error:
        services.record_measurement(
            record_input(case, thermometer, signed=False),
            actor=people["tech"],
            now=NOW + timedelta(hours=3),
        )
    assert "signature" in error.value.message_dict
    # Nor can the case be resolved the generic way, with a signature or a code.
    with pytest.raises(ValidationError):
        case_services.resolve(
            case.number,
            case_services.Resolution(work_done="测了", signature_png=b"\x89PNG\r\n\x1a\n"),
            actor=people["tech"],
            now=NOW + timedelta(hours=3),
        )
    assert not Measurement.objects.exists()


def test_the_database_refuses_a_valid_record_without_signature(people, customers, thermometer):
    case = on_site(people, customers)
    measurement = services.record_measurement(
        record_input(case, thermometer), actor=people["tech"], now=NOW + timedelta(hours=3)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Measurement.objects.filter(pk=measurement.pk).update(signature="")


def test_a_failed_home_gets_adjustment_remeasurement_and_refund(people, customers, thermometer):
    case = on_site(people, customers)
    cold = [room("bedroom", "12", "16.5"), room("living_room", "20", "16.9", "17.1")]
    failed = services.record_measurement(
        record_input(case, thermometer, rooms=cold),
        actor=people["tech"],
        now=NOW + timedelta(hours=3),
    )
    # (16.5·12 + 17.0·20) / 32 = 16.81…
    assert not failed.passed and failed.home_celsius == Decimal("16.8")
    credit = RefundCredit.objects.get(measurement=failed)
    assert credit.share == Decimal("0.20") and credit.status == CreditStatus.OPEN
    adjustment = Case.objects.get(attributes__temperature_adjustment_for=failed.number)
    assert adjustment.kind == Kind.REPAIR and adjustment.channel == Channel.INTERNAL
    assert adjustment.responsible_unit == case.responsible_unit

    # The station adjusts; resolving the adjustment opens the re-measurement.
    day2 = NOW + timedelta(days=1)
    case_services.accept(adjustment.number, actor=people["tech"], now=day2)
    case_services.arrive(adjustment.number, actor=people["tech"], now=day2)
    case_services.resolve(
        adjustment.number,
        case_services.Resolution(
            work_done="排气、调平衡", signature_png=b"\x89PNG\r\n\x1a\n" + b"0" * 8
        ),
        actor=people["tech"],
        now=day2 + timedelta(hours=1),
    )
    again = Case.objects.get(attributes__temperature_remeasures=failed.number)
    assert again.kind == Kind.TEMPERATURE

    day5 = NOW + timedelta(days=4)
    case_services.accept(again.number, actor=people["tech"], now=day5 - timedelta(hours=1))
    case_services.arrive(again.number, actor=people["tech"], now=day5)
    passed = services.record_measurement(
        record_input(again, thermometer), actor=people["tech"], now=day5 + timedelta(minutes=30)
    )
    assert passed.passed and passed.purpose == "remeasure" and passed.remeasures == failed
    credit.refresh_from_db()
    assert credit.status == CreditStatus.PENDING and credit.ended_by == passed
    assert (credit.period_start, credit.period_end, credit.days) == (
        NOW.date(),
        day5.date(),
        4,
    )
    assert credit.fee_fraction == services.fee_fraction(Decimal("0.20"), 4, credit.season_days)

    # Only the position the policy names decides it.
    with pytest.raises(PermissionDenied):
        services.decide_refund(credit.pk, True, actor=people["head_east"])
    decided = services.decide_refund(credit.pk, True, actor=people["office"])
    assert decided.status == CreditStatus.APPROVED


def test_a_heating_quality_complaint_requests_a_measurement(people, customers):
    from tests.factories import open_case

    complaint = open_case(
        people["agent"],
        customers["east"],
        kind="complaint",
        content="暖气一直不热，投诉",
        reaction_data={"complaint_category": "heating_quality"},
    )
    requested = Case.objects.get(attributes__temperature_from_complaint=complaint.number)
    assert requested.kind == Kind.TEMPERATURE and requested.premises_id == complaint.premises_id
