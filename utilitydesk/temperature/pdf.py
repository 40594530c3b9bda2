"""The customer's copy of a measurement record (室温检测记录单, R-703): every room and
reading with its time, the instrument and its certificate, the conditions, the result and
the customer's signature; Chinese in the embedded font of the dispatch slip."""

import io
from pathlib import Path

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from utilitydesk.cases.slip import slip_font, wrap
from utilitydesk.org.models import UnitKind
from utilitydesk.privacy.access import Action, record_access

from . import services
from .models import Measurement

TITLE = "室温检测记录单"


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _person(user) -> str:
    return (f"{user.last_name}{user.first_name}" or user.get_username()) if user else ""


def _company(measurement: Measurement) -> str:
    unit = measurement.station
    while unit is not None:
        if unit.kind == UnitKind.COMPANY:
            return unit.name
        unit = unit.parent
    return "供热有限公司"


def record_lines(measurement: Measurement, phone: str) -> list[tuple[str, str]]:
    """The record's header fields, label and value, as printed."""
    instrument = measurement.instrument
    premises = measurement.premises
    return [
        ("记录编号", measurement.number),
        ("用户", premises.customer.name),
        ("地址", premises.address_text),
        ("联系电话", phone),
        ("关联工单", measurement.case.number if measurement.case else "测温点定期检测"),
        ("测温时间", _local(measurement.measured_at)),
        ("测温人员", _person(measurement.technician)),
        (
            "测温仪器",
            f"{instrument.serial_number} {instrument.model_name}（精度 ±{instrument.accuracy} ℃）",
        ),
        (
            "检定证书",
            f"{instrument.certificate_number}，有效期至 {instrument.certificate_expires:%Y-%m-%d}",
        ),
        ("室外温度", f"{measurement.outdoor_celsius} ℃"),
        ("测点高度", f"{measurement.height_m} m"),
        (
            "测温条件",
            ("门窗已关闭30分钟" if measurement.doors_windows_closed else "门窗未关闭")
            + "；"
            + ("测点无热源、无阳光直射" if measurement.no_heat_source else "测点受热源影响"),
        ),
    ]


def _method_text(measurement: Measurement) -> str:
    policy = measurement.policy_version or services.policy_for(measurement.case)
    home = (
        "室温取计入房间中温度最低者"
        if policy.temperature_home_rule == "lowest"
        else "室温按计入房间的面积加权平均"
    )
    return f"{home}；房间温度为各测点读数的平均值，测点数按房间面积确定。"


def render_record(measurement: Measurement, viewer=None, *, phone: str = "", request=None) -> bytes:
    font = slip_font()
    if viewer is not None:
        record_access(
            viewer,
            Action.PRINT,
            [measurement.premises.customer_id],
            request=request,
            detail={"measurement": measurement.number},
        )
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"{TITLE} {measurement.number}")
    pdf.setAuthor(_company(measurement))
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    y = height - 22 * mm

    def new_page_if_needed(room_for: float) -> None:
        nonlocal y
        if y - room_for < 20 * mm:
            pdf.showPage()
            y = height - 20 * mm

    pdf.setFont(font, 17)
    pdf.drawCentredString(width / 2, y, f"{_company(measurement)}{TITLE}")
    y -= 12 * mm
    pdf.setFont(font, 10)
    for label, value in record_lines(measurement, phone):
        pdf.drawString(left, y, f"{label}：")
        for line in wrap(value, font, 10, right - left - 24 * mm, one_paragraph=True):
            pdf.drawString(left + 24 * mm, y, line)
            y -= 6.5 * mm

    # The rooms and every reading.
    y -= 3 * mm
    columns = [left, left + 30 * mm, left + 52 * mm, left + 68 * mm, left + 132 * mm]
    headers = ["房间", "面积（m²）", "测点数", "各测点读数（℃）及时间", "房间温度"]
    pdf.setFont(font, 10)
    pdf.setFillColor(colors.black)
    for x, text in zip(columns, headers, strict=True):
        pdf.drawString(x, y, text)
    y -= 2 * mm
    pdf.line(left, y, right, y)
    y -= 5.5 * mm
    for room in measurement.rooms.all():
        readings = list(room.readings.all())
        needed = 6 * mm * max(len(readings), 1)
        new_page_if_needed(needed)
        pdf.setFont(font, 10)
        name_lines = wrap(
            room.name or room.get_kind_display(), font, 10, 28 * mm, one_paragraph=True
        )
        pdf.drawString(columns[0], y, name_lines[0] + ("…" if len(name_lines) > 1 else ""))
        pdf.drawString(columns[1], y, f"{room.area_m2}")
        pdf.drawString(columns[2], y, str(room.points_required))
        verdict = "达标" if room.passed else "不达标"
        pdf.drawString(columns[4], y, f"{room.celsius} ℃ {verdict}")
        for reading in readings:
            pdf.drawString(
                columns[3],
                y,
                f"测点{reading.point}：{reading.celsius} ℃  "
                f"{timezone.localtime(reading.read_at):%H:%M}",
            )
            y -= 6 * mm
        if not readings:
            y -= 6 * mm
        pdf.setStrokeColor(colors.lightgrey)
        pdf.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        pdf.setStrokeColor(colors.black)

    new_page_if_needed(60 * mm)
    y -= 4 * mm
    pdf.setFont(font, 12)
    verdict = "达标" if measurement.passed else "不达标"
    pdf.drawString(
        left,
        y,
        f"检测结果：室温 {measurement.home_celsius} ℃，标准 {measurement.target_celsius} ℃，{verdict}",
    )
    y -= 7 * mm
    pdf.setFont(font, 9)
    pdf.drawString(left, y, _method_text(measurement))
    if measurement.note:
        y -= 6 * mm
        for line in wrap(f"备注：{measurement.note}", font, 9, right - left, one_paragraph=True)[
            :4
        ]:
            pdf.drawString(left, y, line)
            y -= 5 * mm
    y -= 12 * mm
    pdf.setFont(font, 10)
    pdf.drawString(left, y, "用户签字：")
    signature_path = measurement.signature.path if measurement.signature else ""
    if signature_path and Path(signature_path).exists():
        try:
            pdf.drawImage(
                ImageReader(signature_path),
                left + 20 * mm,
                y - 12 * mm,
                width=50 * mm,
                height=18 * mm,
                preserveAspectRatio=True,
                mask="auto",
            )
        except (OSError, ValueError):  # a damaged image: the record still prints
            pdf.drawString(left + 20 * mm, y, "（签字图像无法读取，见系统记录）")
    pdf.drawString(left + 90 * mm, y, f"签字时间：{_local(measurement.signed_at)}")
    y -= 24 * mm
    pdf.setFont(font, 8)
    pdf.drawString(left, y, "本记录单一式两份，用户与供热所各执一份；无用户签字的测温记录无效。")
    pdf.drawRightString(right, y, f"打印时间：{_local(timezone.now())}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
