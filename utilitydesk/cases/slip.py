"""The printable dispatch slip (服务派单, seed 003 表一, R-301): three copies on three pages
(white: company, red: station, yellow: receiving team), Chinese in an embedded font."""

import io
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from utilitydesk.audit.models import AccessLog
from utilitydesk.org.models import Position, UnitKind
from utilitydesk.org.selectors import holders_of
from utilitydesk.privacy.access import record_access
from utilitydesk.privacy.masking import phone_for

from .models import Case, Signoff
from .selectors import is_own_work

FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
]
# An emergency (supply or safety) is printed in red beside the number and before the
# service content, so the team sees it on every copy.
EMERGENCY_MARK = "【紧急】"
COPIES = [
    ("第一联（白）", "公司留存"),
    ("第二联（红）", "供热所留存"),
    ("第三联（黄）", "接访班组留存"),
]


@cache
def slip_font() -> str:
    """An embedded TrueType CJK font when one is installed (make installs WenQuanYi Zen
    Hei); otherwise the standard Adobe CID font, which viewers supply themselves."""
    for path, index in FONT_CANDIDATES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont("SlipCJK", path, subfontIndex=index))
            return "SlipCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def _fmt(value) -> str:
    if not value:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _person(user) -> str:
    if user is None:
        return ""
    return f"{user.last_name}{user.first_name}" or user.get_username()


def slip_fields(case: Case, viewer=None) -> dict[str, str]:
    """Every field of the seed's form, filled from the case."""
    station = case.responsible_unit
    while station is not None and station.kind not in (UnitKind.STATION, UnitKind.DEPARTMENT):
        station = station.parent
    supervisors = (
        holders_of(Position.STATION_HEAD, case.responsible_unit) if case.responsible_unit else []
    )
    callback = (
        case.events.filter(action="record_callback")
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    received = timezone.localtime(case.received_at)
    return {
        "NO": case.number,
        "接访供热所": station.name if station else "",
        "日期": f"{received.year}年{received.month}月{received.day}日",
        "接访时间": received.strftime("%H:%M"),
        "接访人": _person(case.first_responder),
        "预约上门时间": _fmt(case.appointment_at),
        "用户地址": case.address_text,
        "用户电话": phone_for(viewer, case.caller_phone, on_own_work=is_own_work(viewer, case)),
        "用户联系人": case.caller_name,
        "服务内容": f"{EMERGENCY_MARK if case.emergency else ''}[{case.get_kind_display()}] {case.content}",
        "下发时间": _fmt(case.dispatched_at),
        "接收人": _person(case.assignee),
        "服务监督人": "、".join(_person(u) for u in supervisors),
        "回访时间": _fmt(callback.at) if callback else "",
        "回访人": _person(callback.actor) if callback else "",
        "回访结果": callback.note if callback else "",
        "处理情况": case.resolution,
    }


def _company_name(case: Case) -> str:
    unit = case.responsible_unit
    while unit is not None:
        if unit.kind == UnitKind.COMPANY:
            return unit.name
        unit = unit.parent
    return "供热有限公司"


def wrap(
    text: str, font: str, size: float, width: float, *, one_paragraph: bool = False
) -> list[str]:
    """Lines of ``text`` no wider than ``width`` points. Chinese has no spaces to break at:
    a line breaks between any two characters. A line break in the text starts a new line,
    or becomes a space with ``one_paragraph``. The printed documents all wrap with it."""
    text = (text or "").replace("\r", "")
    if one_paragraph:
        text = text.replace("\n", " ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if line and pdfmetrics.stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = ""
            line += char
        lines.append(line)
    return lines


def render_slip(case: Case, viewer=None) -> bytes:
    font = slip_font()
    fields = slip_fields(case, viewer)
    if viewer is not None:
        record_access(
            viewer,
            AccessLog.Action.PRINT,
            [case.customer_id],
            detail={
                "slip": case.number,
                "address": case.address_text,
                "caller": case.caller_name,
                "phone": fields["用户电话"],
            },
        )
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"服务派单 {case.number}")
    pdf.setAuthor(_company_name(case))
    width, height = A4
    left, right = 18 * mm, width - 18 * mm
    signature = (
        ImageReader(case.signature.path)
        if case.signature and Path(case.signature.path).exists()
        else None
    )
    for copy_name, copy_use in COPIES:
        y = height - 22 * mm
        pdf.setFont(font, 17)
        pdf.drawCentredString(width / 2, y, f"{_company_name(case)}服务派单")
        y -= 8 * mm
        pdf.setFont(font, 10)
        pdf.drawString(left, y, f"{copy_name} {copy_use}")
        pdf.drawRightString(right, y, f"NO: {fields['NO']}")
        if case.emergency:
            pdf.setFillColor(colors.red)
            pdf.setFont(font, 14)
            pdf.drawCentredString(width / 2, y, f"{EMERGENCY_MARK}请立即处理")
            pdf.setFillColor(colors.black)
            pdf.setFont(font, 10)
        y -= 4 * mm
        rows: list[list[tuple[Any, ...]]] = [
            [("接访供热所", 1), ("日期", 1), ("接访时间", 1)],
            [("接访人", 1), ("预约上门时间", 2)],
            [("用户地址", 3)],
            [("用户电话", 1), ("用户联系人", 2)],
            [("服务内容", 3, 5)],
            [("下发时间", 1), ("接收人", 1), ("服务监督人", 1)],
            [("处理情况", 3, 3)],
            [("回访时间", 1), ("回访人", 1), ("回访结果", 1)],
        ]
        column = (right - left) / 3
        pdf.setStrokeColor(colors.black)
        for row in rows:
            lines_needed = max(cell[2] if len(cell) > 2 else 1 for cell in row)
            row_height = 9 * mm if lines_needed == 1 else (5 * mm * lines_needed + 4 * mm)
            x = left
            for cell in row:
                label, span = cell[0], cell[1]
                cell_width = column * span
                pdf.rect(x, y - row_height, cell_width, row_height)
                pdf.setFont(font, 9)
                pdf.drawString(x + 2 * mm, y - 5.5 * mm, f"{label}：")
                label_width = pdfmetrics.stringWidth(f"{label}：", font, 9) + 3 * mm
                text_lines = wrap(
                    fields.get(label, ""), font, 10, cell_width - label_width - 3 * mm
                )
                pdf.setFont(font, 10)
                for index, line in enumerate(text_lines[: max(1, lines_needed)]):
                    pdf.drawString(x + label_width, y - 5.5 * mm - index * 5 * mm, line)
                x += cell_width
            y -= row_height
        y -= 8 * mm
        pdf.setFont(font, 10)
        pdf.drawString(left, y, "客户签字：")
        if signature is not None:
            pdf.drawImage(
                signature,
                left + 20 * mm,
                y - 12 * mm,
                width=50 * mm,
                height=18 * mm,
                preserveAspectRatio=True,
                mask="auto",
            )
        elif case.signoff == Signoff.CODE:
            pdf.drawString(left + 20 * mm, y, "（已通过短信确认码确认）")
        elif case.signoff == Signoff.SUPERVISOR:
            pdf.drawString(left + 20 * mm, y, f"（主管免签：{case.signoff_note}）")
        y -= 22 * mm
        pdf.setFont(font, 8)
        pdf.drawString(
            left, y, "本服务派单一式三联，白联交公司留存，红联交供热所留存，黄联交接访班组留存。"
        )
        pdf.drawRightString(right, y, f"打印时间：{_fmt(timezone.now())}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
