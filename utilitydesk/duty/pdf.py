"""The printable duty log (值班记录) of a day or a shift: every entry and every handover
with both sides' signatures, in the embedded CJK font of the dispatch slip."""

import io
from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from utilitydesk.accounts.names import display_name
from utilitydesk.accounts.typing import Actor
from utilitydesk.cases.slip import slip_font, wrap
from utilitydesk.org.models import OrgUnit

from .models import DutyLogEntry, Handover, HandoverStatus, Shift

LEFT, RIGHT_MARGIN, TOP, BOTTOM = 18 * mm, 18 * mm, 20 * mm, 18 * mm
SIZE = 10.5
LEADING = 6 * mm


def _when(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _signature(person: Actor | None, at: datetime | None) -> str:
    return f"{display_name(person)}（{_when(at)}）" if person else "未签"


def log_lines(
    unit: OrgUnit,
    day: date,
    shift: Shift | None,
    entries: Iterable[DutyLogEntry],
    handovers: Iterable[Handover],
) -> list[tuple[str, str]]:
    """(style, text) lines of the document: "h" headings, "b" bold-ish facts, "t" text."""
    lines: list[tuple[str, str]] = [
        ("h", f"{unit.name} 值班记录"),
        (
            "b",
            f"日期：{day:%Y年%m月%d日}"
            + (f"　班次：{shift.name}（{shift.hours}）" if shift else ""),
        ),
        ("t", ""),
        ("h", "一、值班记录"),
    ]
    rows = list(entries)
    if not rows:
        lines.append(("t", "（无记录）"))
    for entry in rows:
        lines.append(
            (
                "b",
                f"{_when(entry.occurred_at)}　{entry.shift.name}　【{entry.get_kind_display()}】"
                f"　记录人：{display_name(entry.author)}",
            )
        )
        lines.append(("t", entry.text))
        if entry.director_notified_at:
            lines.append(("t", f"已于 {_when(entry.director_notified_at)} 报告客户服务中心主任。"))
    lines += [("t", ""), ("h", "二、交接班")]
    found = list(handovers)
    if not found:
        lines.append(("t", "（无交接班记录）"))
    for handover in found:
        lines.append(
            (
                "b",
                f"{handover.day:%Y-%m-%d} {handover.shift.name} 交班　状态：{handover.get_status_display()}",
            )
        )
        lines.append(("t", "交接说明：" + (handover.notes or "（无）")))
        for refusal in handover.refusals.all():
            lines.append(
                (
                    "t",
                    f"拒绝接班：{display_name(refusal.refused_by)} {_when(refusal.refused_at)}，"
                    f"理由：{'、'.join(refusal.condition_labels())}"
                    + (f"；{refusal.note}" if refusal.note else ""),
                )
            )
        outgoing = _signature(handover.outgoing_signed_by, handover.outgoing_signed_at)
        incoming = _signature(
            handover.incoming_signed_by if handover.status == HandoverStatus.ACCEPTED else None,
            handover.incoming_signed_at,
        )
        lines.append(("b", f"交班人签字：{outgoing}　接班人签字：{incoming}"))
        if handover.open_items:
            items = "、".join(
                ("重大故障 " if item.get("kind") == "fault" else "紧急工单 ")
                + str(item.get("ref", ""))
                for item in handover.open_items
            )
            lines.append(("t", f"接班时未完事项：{items}"))
        if handover.unfinished_confirmed:
            lines.append(("t", "接班人确认接收无交接说明的未完事项。"))
        lines.append(("t", ""))
    return lines


def render_log(
    unit: OrgUnit,
    day: date,
    shift: Shift | None,
    entries: Iterable[DutyLogEntry],
    handovers: Iterable[Handover],
    *,
    printed_by: Actor,
) -> bytes:
    font = slip_font()
    stream = io.BytesIO()
    page = canvas.Canvas(stream, pagesize=A4)
    page.setTitle(f"{unit.name} 值班记录 {day:%Y-%m-%d}")
    width, height = A4
    usable = width - LEFT - RIGHT_MARGIN
    y = height - TOP

    def footer() -> None:
        page.setFont(font, 8)
        page.drawString(
            LEFT,
            10 * mm,
            f"打印：{display_name(printed_by)} {_when(timezone.now())}　第 {page.getPageNumber()} 页",
        )

    for style, text in log_lines(unit, day, shift, entries, handovers):
        size = 15 if style == "h" and text.endswith("值班记录") else (12 if style == "h" else SIZE)
        for part in wrap(text, font, size, usable - (6 * mm if style == "t" else 0)):
            if y < BOTTOM:
                footer()
                page.showPage()
                y = height - TOP
            page.setFont(font, size)
            x = LEFT + (6 * mm if style == "t" else 0)
            if size == 15:
                page.drawCentredString(width / 2, y, part)
            else:
                page.drawString(x, y, part)
            y -= LEADING + (2 * mm if style == "h" else 0)
    footer()
    page.showPage()
    page.save()
    return stream.getvalue()
