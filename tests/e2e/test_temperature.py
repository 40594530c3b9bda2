"""Issue 14 in a browser at a phone's size: a technician books a measurement inside the
window (refused beyond 24 h, outside the visiting hours and for a household's third visit
of the day), arrives, measures three rooms with the method's points, has the customer sign,
and the record resolves the case; the customer's copy is a PDF. Thermometers the rules do
not accept (infrared, an expired certificate) are refused with their reason and nothing
typed is lost.

The pages run on the real clock, so times are chosen relative to it (Asia/Shanghai): the
request was received an hour ago, and the visit goes to the first whole hour between 09:00
and 19:00 at least 30 minutes ahead — always inside the 24 h window, by day or by night."""

import subprocess  # nosec B404: pdftotext reads the PDF the test downloaded
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.e2e.conftest import fits_width, sign_in_on
from tests.factories import open_case
from utilitydesk.cases import services as case_services
from utilitydesk.cases.models import Case, Status
from utilitydesk.temperature import method
from utilitydesk.temperature.models import Instrument, InstrumentKind, Measurement

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def visit_slot(after):
    """The first whole hour after ``after`` between 09:00 and 19:00 local time."""
    at = timezone.localtime(after).replace(minute=0, second=0, microsecond=0)
    for _hour in range(24):
        at += timedelta(hours=1)
        if 9 <= at.hour <= 19:
            return at
    raise AssertionError("no visiting hour in a day")


def next_evening(after):
    """The first 22:00 local after ``after`` (outside 08:00–21:00)."""
    at = timezone.localtime(after).replace(hour=22, minute=0, second=0, microsecond=0)
    return at if at > after else at + timedelta(days=1)


def thermometers(org):
    today = timezone.localdate()
    good = Instrument.objects.create(
        serial_number="WD-101",
        model_name="精密数字温度计",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.20"),
        certificate_number="JZ-2026-101",
        certificate_expires=today + timedelta(days=365),
        station=org["east"],
    )
    infrared = Instrument.objects.create(
        serial_number="HW-201",
        model_name="红外测温枪",
        kind=InstrumentKind.INFRARED,
        accuracy=Decimal("0.20"),
        certificate_number="JZ-2026-201",
        certificate_expires=today + timedelta(days=365),
        station=org["east"],
    )
    expired = Instrument.objects.create(
        serial_number="WD-301",
        model_name="旧温度计",
        kind=InstrumentKind.CONTACT,
        accuracy=Decimal("0.20"),
        certificate_number="JZ-2024-301",
        certificate_expires=today - timedelta(days=1),
        station=org["east"],
    )
    return good, infrared, expired


def booked_visit(people, customers, received, at):
    """Another measurement of the same household, booked for ``at``."""
    case = open_case(people["agent"], customers["east"], kind="temperature", now=received)
    case_services.accept(case.number, actor=people["tech"], now=received)
    case_services.book(case.number, at, actor=people["tech"], now=received)
    return case


def draw(page) -> None:
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 30)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 20 + step * 25, box["y"] + 30 + (step % 3) * 15)
    page.mouse.up()


def book(page, at) -> None:
    form = page.locator("#book-form")
    form.locator("input[name=appointment_at]").fill(timezone.localtime(at).strftime(LOCAL_INPUT))
    form.locator("button").click()
    page.wait_for_load_state()


def room(page, number):
    return page.locator("#rooms fieldset.room").nth(number - 1)


def test_a_measurement_from_booking_to_the_signed_record(
    org, people, customers, phone_page, live_server
):
    base = live_server.url
    now = timezone.now()
    received = now - timedelta(hours=1)
    slot = visit_slot(now + timedelta(minutes=30))
    good, infrared, expired = thermometers(org)
    # Two other measurements of this household are booked on the visit's day.
    first = booked_visit(people, customers, received, slot)
    booked_visit(people, customers, received, slot + timedelta(minutes=30))
    case = open_case(
        people["agent"], customers["east"], kind="temperature", content="家里冷", now=received
    )

    page = sign_in_on(phone_page, live_server, "tech")
    page.goto(f"{base}/field/{case.number}/")
    page.click("text=接单")
    page.wait_for_selector("#book-form")

    # Beyond 24 h of the request: refused, the page says until when.
    book(page, now + timedelta(hours=30))
    errors = page.locator("#book-form .errorlist").inner_text()
    assert "24 小时内" in errors
    # Outside the visiting hours.
    book(page, next_evening(now + timedelta(minutes=30)))
    assert "08:00-21:00" in page.locator("#book-form .errorlist").inner_text()
    # The household's third measurement that day.
    book(page, slot + timedelta(hours=1))
    errors = page.locator("#book-form .errorlist").inner_text()
    assert "已有 2 次测温" in errors and slot.date().isoformat() in errors
    assert Case.objects.get(pk=case.pk).appointment_at is None
    assert fits_width(page)

    # The customer calls off one of the other visits: the slot is free.
    case_services.cancel(first.number, "客户改约", actor=people["agent"])
    book(page, slot + timedelta(hours=1))
    assert "预约上门：已完成" in page.inner_text(".flash")
    assert Case.objects.get(pk=case.pk).status == Status.BOOKED

    # On site, the field page sends the technician to the record page.
    page.click("#arrive")
    page.wait_for_selector("#record-measurement")
    assert page.locator("#resolve-form").count() == 0
    page.click("#record-measurement")
    page.wait_for_url(f"{base}/temperature/record/case/{case.number}/")
    assert page.locator("#id_height_m").input_value() == "1.20"
    assert fits_width(page)

    # The page's rule for points is the method's, at every boundary.
    areas = ["0.5", "15.9", "16", "29.99", "30", "59.9", "60", "120"]
    shown = page.evaluate(
        "areas => areas.map(a => UDTemperature.pointsRequired(UDTemperature.parseArea(a)))",
        areas,
    )
    assert shown == [method.points_required(Decimal(a)) for a in areas]

    page.select_option("#id_instrument", str(infrared.pk))
    page.fill("#id_outdoor_celsius", "-3.5")
    page.check("#id_doors_windows_closed")
    page.check("#id_no_heat_source")
    room(page, 1).locator(".room-area").fill("12")
    room(page, 1).locator("input[name$=-name]").fill("主卧")
    room(page, 2).locator(".room-area").fill("24")
    page.click("#add-room")
    room(page, 3).locator(".room-kind").select_option("bedroom")
    room(page, 3).locator(".room-area").fill("35")
    for number, points in [(1, 1), (2, 2), (3, 3)]:
        assert room(page, number).locator(".reading-value").count() == points
        assert f"需测 {points} 个点" in room(page, number).locator(".points-needed").inner_text()
    assert room(page, 3).locator(".reading-time").first.input_value()  # now, by default
    readings = {1: ["18.6"], 2: ["18.2", "18.4"], 3: ["18.0", "18.1", "18.2"]}
    for number, values in readings.items():
        for index, value in enumerate(values):
            room(page, number).locator(".reading-value").nth(index).fill(value)
    assert fits_width(page)
    draw(page)

    # An infrared thermometer is refused; everything typed comes back, the signature too.
    page.click("#record-submit")
    page.wait_for_selector("#record-form .errorlist")
    assert "不得使用红外或激光测温仪" in page.locator(".field:has(#id_instrument)").inner_text()
    assert room(page, 1).locator("input[name$=-name]").input_value() == "主卧"
    for number, values in readings.items():
        typed = room(page, number).locator(".reading-value")
        assert [typed.nth(i).input_value() for i in range(typed.count())] == values
    assert room(page, 3).locator(".room-area").input_value() == "35"
    assert page.locator("#id_outdoor_celsius").input_value() == "-3.5"
    assert page.locator("input.signature-data").input_value().startswith("data:image/png")

    # An expired certificate is refused with its date.
    page.select_option("#id_instrument", str(expired.pk))
    page.click("#record-submit")
    page.wait_for_selector("#record-form .errorlist")
    message = page.locator(".field:has(#id_instrument)").inner_text()
    assert "检定证书已于" in message and expired.certificate_expires.isoformat() in message

    # The registered thermometer: the record is stored and the case resolved.
    page.select_option("#id_instrument", str(good.pk))
    page.click("#record-submit")
    page.wait_for_url(f"{base}/temperature/CW*/")
    measurement = Measurement.objects.get(case=case)
    assert measurement.valid and measurement.passed and measurement.home_celsius == Decimal("18.3")
    assert [r.points_required for r in measurement.rooms.all()] == [1, 2, 3]
    verdict = page.locator("#verdict").inner_text()
    assert "达标" in verdict and "18.3" in verdict
    assert page.locator(".room-result").count() == 3
    assert page.locator("#record-signature").evaluate("img => img.naturalWidth") > 0
    assert fits_width(page)
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.signoff == "signature"

    # The customer's copy.
    href = page.locator("#record-pdf").get_attribute("href")
    pdf = page.request.get(base + href)
    assert pdf.headers["content-type"] == "application/pdf"
    text = subprocess.run(  # nosec B603 B607: a fixed command on the downloaded bytes
        ["pdftotext", "-", "-"], input=pdf.body(), capture_output=True, check=True
    ).stdout.decode()
    for expected in ["室温检测记录单", measurement.number, "WD-101", "JZ-2026-101", "18.6", "达标"]:
        assert expected in text, expected
