"""The technician's record page, the record's detail and its PDF, the complaint's button and
the field page's link, through the Django test client. The pages run on the real clock,
so the cases here are received and booked relative to it."""

import base64
import io
import json
import subprocess  # nosec B404: pdftotext reads the PDF the test got
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from tests.factories import open_case, staff
from utilitydesk.audit.models import AccessLog
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Kind, Status
from utilitydesk.org.models import Position
from utilitydesk.temperature import method, services
from utilitydesk.temperature.models import Instrument, InstrumentKind, Measurement

pytestmark = pytest.mark.django_db


def _drawn_signature() -> bytes:
    picture = Image.new("RGBA", (60, 20), (255, 255, 255, 0))
    ImageDraw.Draw(picture).line([(2, 15), (20, 3), (40, 16), (58, 4)], fill="black", width=2)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


SIGNATURE = "data:image/png;base64," + base64.b64encode(_drawn_signature()).decode()


def visit_slot(received):
    """The first whole hour after ``received`` inside the visiting hours (09:00–19:00
    local, well inside 08:00–21:00): always within the 24 h window."""
    at = timezone.localtime(received).replace(minute=0, second=0, microsecond=0)
    for _hour in range(24):
        at += timedelta(hours=1)
        if 9 <= at.hour <= 19:
            return at
    raise AssertionError("no visiting hour in a day")


def on_site_now(people, customers, customer="east"):
    """A measurement request received three hours ago, booked and arrived now."""
    received = timezone.now() - timedelta(hours=3)
    case = open_case(people["agent"], customers[customer], kind="temperature", now=received)
    tech = people["tech"] if customer == "east" else people["tech_west"]
    case_services.accept(case.number, actor=tech, now=received + timedelta(minutes=1))
    case_services.book(
        case.number, visit_slot(received), actor=tech, now=received + timedelta(minutes=2)
    )
    case_services.arrive(case.number, actor=tech)
    return case


def form_data(thermometer, **changes):
    clock = timezone.localtime().strftime("%H:%M")
    data = {
        "instrument": str(thermometer.pk),
        "outdoor_celsius": "-4.5",
        "height_m": "1.20",
        "doors_windows_closed": "on",
        "no_heat_source": "on",
        "note": "",
        "signature": SIGNATURE,
        "room-1-kind": "bedroom",
        "room-1-name": "主卧",
        "room-1-area": "12",
        "room-1-reading-1": "18.6",
        "room-1-time-1": clock,
        "room-2-kind": "living_room",
        "room-2-name": "",
        "room-2-area": "24",
        "room-2-reading-1": "18.2",
        "room-2-time-1": clock,
        "room-2-reading-2": "18.4",
        "room-2-time-2": clock,
        "room-4-kind": "bedroom",
        "room-4-name": "次卧",
        "room-4-area": "35",
        "room-4-reading-1": "18.0",
        "room-4-time-1": clock,
        "room-4-reading-2": "18.1",
        "room-4-time-2": clock,
        "room-4-reading-3": "18.2",
        "room-4-time-3": clock,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def west_tech(org, people):
    people["tech_west"] = staff("tech_west", Position.TECHNICIAN, org["west"])
    return people["tech_west"]


def record(client, people, customers, thermometer):
    case = on_site_now(people, customers)
    client.force_login(people["tech"])
    response = client.post(f"/temperature/record/case/{case.number}/", form_data(thermometer))
    assert response.status_code == 302, response.content.decode()[:2000]
    return case, Measurement.objects.get(case=case)


def test_the_record_page_offers_the_register_the_height_and_the_method(
    org, people, customers, thermometer, client
):
    Instrument.objects.create(
        serial_number="HW-9",
        model_name="红外测温枪",
        kind=InstrumentKind.INFRARED,
        accuracy=Decimal("0.5"),
        certificate_number="X",
        certificate_expires=date(2030, 1, 1),
        station=None,
    )
    Instrument.objects.create(
        serial_number="W-WEST",
        model_name="西所温度计",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.2"),
        certificate_number="W1",
        certificate_expires=date(2030, 1, 1),
        station=org["west"],
    )
    case = on_site_now(people, customers)
    client.force_login(people["tech"])
    page = client.get(f"/temperature/record/case/{case.number}/").content.decode()
    assert "室温检测记录" in page and "室外温度" in page and "测点高度" in page
    assert 'value="1.20"' in page  # the policy's height, pre-filled
    assert "WD-001" in page and "JZ2026-0815" in page and "2027-06-30" in page
    assert "HW-9" in page and "红外" in page  # company-wide, shown with why it is refused
    assert "W-WEST" not in page  # another station's thermometer
    assert "客户签字" in page and "signature-pad" in page
    steps = json.loads(
        page.split('data-point-steps="', 1)[1].split('"', 1)[0].replace("&quot;", '"')
    )
    assert [(Decimal(below), n) for below, n in steps["steps"]] == list(method.POINT_STEPS)
    assert steps["largest"] == method.POINTS_LARGEST


def test_a_technician_of_another_station_cannot_open_the_pages(
    people, customers, thermometer, west_tech, client
):
    case, measurement = record(client, people, customers, thermometer)
    other = on_site_now(people, customers)  # a second visit of the east home, on site
    client.force_login(west_tech)
    for url in [
        f"/temperature/record/case/{other.number}/",
        f"/temperature/{measurement.number}/",
        f"/temperature/{measurement.number}/pdf/",
        f"/media/{measurement.signature.name}",
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(f"/temperature/record/case/{other.number}/", form_data(thermometer))
    assert response.status_code == 404
    assert Case.objects.get(pk=other.pk).status == Status.ON_SITE
    # The agent who took the call has no measurement permission: no record page either.
    client.force_login(people["agent"])
    assert client.get(f"/temperature/record/case/{other.number}/").status_code == 403


def test_a_case_not_on_site_has_no_record_page(people, customers, client):
    case = open_case(people["agent"], customers["east"], kind="temperature")
    case_services.accept(case.number, actor=people["tech"])
    client.force_login(people["tech"])
    assert client.get(f"/temperature/record/case/{case.number}/").status_code == 404


def test_a_refusal_says_why_and_keeps_everything_typed(people, customers, thermometer, client):
    expired = Instrument.objects.create(
        serial_number="WD-OLD",
        model_name="旧温度计",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.2"),
        certificate_number="JZ2020-1",
        certificate_expires=timezone.localdate() - timedelta(days=1),
        station=thermometer.station,
    )
    case = on_site_now(people, customers)
    client.force_login(people["tech"])
    data = form_data(
        expired,
        no_heat_source=None,
        **{"room-2-reading-2": None, "room-2-time-2": None, "room-1-name": "朝南主卧"},
    )
    response = client.post(f"/temperature/record/case/{case.number}/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "检定证书已于" in page  # the expired certificate
    assert "热源" in page and "24" in page and "需测 2 个点" in page
    # Everything typed is there again: rooms, names, areas, readings, the signature.
    for value in [
        "朝南主卧",
        'value="12"',
        'value="24"',
        'value="35"',
        "18.6",
        "18.2",
        "18.1",
        "-4.5",
    ]:
        assert value in page, value
    assert f'value="{SIGNATURE}"' in page
    assert f'<option value="{expired.pk}" selected' in page
    assert Case.objects.get(pk=case.pk).status == Status.ON_SITE
    assert not Measurement.objects.exists()

    # Without the drawn signature the record is refused, whatever else is right.
    response = client.post(
        f"/temperature/record/case/{case.number}/", form_data(thermometer, signature="")
    )
    assert response.status_code == 400 and "客户未签字" in response.content.decode()


def test_a_signed_record_resolves_the_case_and_shows_its_result(
    people, customers, thermometer, client
):
    case, measurement = record(client, people, customers, thermometer)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"
    assert [r.points_required for r in measurement.rooms.all()] == [1, 2, 3]
    assert [r.name for r in measurement.rooms.all()] == ["主卧", "", "次卧"]
    read_at = measurement.rooms.first().readings.get().read_at
    assert abs(read_at - timezone.now()) < timedelta(minutes=2)

    response = client.get(f"/temperature/{measurement.number}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "达标" in page and "18.3 °C" in page and "18.0 °C" in page
    assert "WD-001" in page and "JZ2026-0815" in page and "主卧" in page
    assert measurement.signature.url in page
    assert "13812345678" in page  # the assigned technician calls the customer
    # The signature opens for the technician, through the permission check.
    assert client.get(measurement.signature.url).status_code == 200
    log = AccessLog.objects.filter(
        actor=people["tech"], customer_id=customers["east"].pk, action=AccessLog.Action.VIEW
    )
    assert log.filter(detail__measurement=measurement.number).exists()


def test_another_technician_of_the_station_sees_the_phone_masked(
    org, people, customers, thermometer, client
):
    _case, measurement = record(client, people, customers, thermometer)
    colleague = staff("tech2", Position.TECHNICIAN, org["east_team"])
    client.force_login(colleague)
    page = client.get(f"/temperature/{measurement.number}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page


def test_the_pdf_has_every_reading_the_instrument_and_the_signature(
    people, customers, thermometer, client
):
    _case, measurement = record(client, people, customers, thermometer)
    response = client.get(f"/temperature/{measurement.number}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = subprocess.run(  # nosec B603 B607: a fixed command on the test's own bytes
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for expected in [
        "室温检测记录单",
        measurement.number,
        "测温仪器",
        "WD-001",
        "检定证书",
        "JZ2026-0815",
        "室外温度",
        "-4.5",
        "测点高度",
        "门窗已关闭30分钟",
        "主卧",
        "次卧",
        "18.6",
        "18.2",
        "18.4",
        "18.0",
        "18.1",
        "检测结果",
        "18.3",
        "达标",
        "用户签字",
    ]:
        assert expected in text, expected
    clock = timezone.localtime(measurement.measured_at).strftime("%H:%M")
    assert clock in text
    assert b"/Subtype /Image" in response.content  # the signature is drawn
    assert AccessLog.objects.filter(
        actor=people["tech"],
        action=AccessLog.Action.PRINT,
        customer_id=customers["east"].pk,
        detail__measurement=measurement.number,
    ).exists()


def test_the_service_centre_opens_the_record_from_the_case(people, customers, thermometer, client):
    case, measurement = record(client, people, customers, thermometer)
    client.force_login(people["agent"])
    case_page = client.get(f"/cases/{case.number}/").content.decode()
    assert f"/temperature/{measurement.number}/" in case_page
    assert client.get(f"/temperature/{measurement.number}/").status_code == 200
    assert client.get(f"/temperature/{measurement.number}/pdf/").status_code == 200


def test_the_field_page_sends_a_temperature_case_to_the_record_page(people, customers, client):
    case = on_site_now(people, customers)
    client.force_login(people["tech"])
    page = client.get(f"/field/{case.number}/").content.decode()
    assert f'href="/temperature/record/case/{case.number}/"' in page and "录入测温记录" in page
    assert 'id="resolve-form"' not in page
    repair = open_case(people["agent"], customers["east"])
    case_services.accept(repair.number, actor=people["tech"])
    case_services.arrive(repair.number, actor=people["tech"])
    page = client.get(f"/field/{repair.number}/").content.decode()
    assert 'id="resolve-form"' in page and "录入测温记录" not in page


def test_the_field_page_says_why_a_booking_is_refused(people, customers, client):
    received = timezone.now() - timedelta(hours=1)
    case = open_case(people["agent"], customers["east"], kind="temperature", now=received)
    case_services.accept(case.number, actor=people["tech"], now=received)
    client.force_login(people["tech"])
    late = timezone.localtime(visit_slot(received) + timedelta(days=2))
    response = client.post(
        f"/cases/{case.number}/act/book/",
        {
            "appointment_at": late.strftime("%Y-%m-%dT%H:%M"),
            "note": "",
            "expected_version": Case.objects.get(pk=case.pk).version,
            "next": f"/field/{case.number}/",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "24 小时内" in page and late.strftime("%Y-%m-%dT%H:%M") in page
    assert Case.objects.get(pk=case.pk).appointment_at is None


def test_a_monitoring_point_visit_is_recorded_on_the_same_page(
    people, customers, thermometer, client
):
    point = services.add_monitoring_point(
        customers["east"].premises.get().pk, "主卧、客厅", actor=people["head_east"]
    )
    client.force_login(people["tech"])
    page = client.get(f"/temperature/record/point/{point.pk}/").content.decode()
    assert "测温点" in page and customers["east"].premises.get().address_text in page
    response = client.post(f"/temperature/record/point/{point.pk}/", form_data(thermometer))
    assert response.status_code == 302
    measurement = Measurement.objects.get(monitoring_point=point)
    assert measurement.case is None and measurement.valid
    point.refresh_from_db()
    assert point.last_visit_at is not None


def test_the_complaint_page_offers_the_measurement_button(people, customers, client):
    complaint = open_case(
        people["agent"], customers["east"], kind="complaint", content="暖气不热，投诉"
    )
    client.force_login(people["agent"])
    page = client.get(f"/cases/{complaint.number}/").content.decode()
    assert f"/temperature/request-from-complaint/{complaint.number}/" in page


def test_a_complaint_gets_its_measurement_from_the_button(people, customers, client):
    complaint = open_case(
        people["agent"], customers["east"], kind="complaint", content="暖气不热，投诉"
    )
    client.force_login(people["agent"])
    response = client.post(f"/temperature/request-from-complaint/{complaint.number}/", follow=True)
    requested = Case.objects.get(attributes__temperature_from_complaint=complaint.number)
    assert requested.kind == Kind.TEMPERATURE
    assert requested.number in response.content.decode()
    # Asked twice: refused with the number of the first.
    again = client.post(f"/temperature/request-from-complaint/{complaint.number}/", follow=True)
    assert f"已申请过测温：{requested.number}" in again.content.decode()
    assert Case.objects.filter(attributes__temperature_from_complaint=complaint.number).count() == 1
    assert client.get(f"/temperature/request-from-complaint/{complaint.number}/").status_code == 405


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_photos_go_with_the_record_behind_the_file_check(
    people, customers, thermometer, west_tech, client
):
    case = on_site_now(people, customers)
    client.force_login(people["tech"])
    url = f"/temperature/record/case/{case.number}/"
    not_a_picture = SimpleUploadedFile("note.txt", b"hello", content_type="image/jpeg")
    response = client.post(url, {**form_data(thermometer), "photos": [not_a_picture]})
    assert response.status_code == 400 and "JPEG" in response.content.decode()
    assert not Measurement.objects.exists()

    photo = SimpleUploadedFile("radiator.jpg", _photo(), content_type="image/jpeg")
    response = client.post(url, {**form_data(thermometer), "photos": [photo]})
    assert response.status_code == 302
    measurement = Measurement.objects.get(case=case)
    [name] = measurement.photos
    assert name.startswith(f"temperature/photos/{case.premises_id}/") and name.endswith(".jpg")
    page = client.get(f"/temperature/{measurement.number}/").content.decode()
    assert f"/media/{name}" in page
    assert client.get(f"/media/{name}").status_code == 200
    assert AccessLog.objects.filter(
        action=AccessLog.Action.FILE, detail__measurement=measurement.number
    ).exists()
    # A second tap on the sent form finds the stored record, not an error.
    again = client.post(url, form_data(thermometer))
    assert again.status_code == 302 and again["Location"] == f"/temperature/{measurement.number}/"
    client.force_login(west_tech)
    assert client.get(f"/media/{name}").status_code == 404
