"""A stored report's content as a workbook (one sheet per section, every cell through
kernel.spreadsheets) and as a PDF (tables in the dispatch slip's embedded Chinese font),
and the text of a cell as the page, the PDF and the sheets show it."""

import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from utilitydesk.cases.slip import slip_font
from utilitydesk.kernel.spreadsheets import append_row

COLOURS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "grey": "EDEDED"}
# Sections wider than this many columns are printed on landscape pages.
WIDE = 7


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def percent_text(value: Any) -> str:
    number = _decimal(value)
    if number is None:
        return "—"
    return f"{(number * 100).quantize(Decimal('0.1'))}%"


def cell_text(value: Any, kind: str) -> str:
    """What a cell shows: shares as percentages, a figure as its percentage (— when
    nothing was counted), anything else as it is."""
    if kind == "figure":
        return percent_text((value or {}).get("value"))
    if kind == "percent":
        return percent_text(value)
    if value is None:
        return ""
    return str(value)


def cell_colour(value: Any, kind: str) -> str:
    return str((value or {}).get("colour", "")) if kind == "figure" else ""


def heading(content: dict[str, Any]) -> str:
    return f"{content['unit']['name']} {content['title']}"


# --- Excel -----------------------------------------------------------------------------


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28] or "Sheet"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]}({n})", n + 1
    used.add(name)
    return name


def _excel_value(value: Any, kind: str) -> Any:
    if kind == "figure":
        return _decimal((value or {}).get("value"))
    if kind in ("percent", "points"):
        return _decimal(value)
    return value


def render_xlsx(content: dict[str, Any], *, meta: list[tuple[str, str]]) -> bytes:
    """One sheet for the heading, one per section: shares as numbers formatted as
    percentages, points as numbers, figures coloured as on the KPI page."""
    book = Workbook()
    cover = book.active
    cover.title = _sheet_title(content["title"], set())
    used = {cover.title}
    append_row(cover, [heading(content)])
    cover["A1"].font = Font(bold=True, size=14)
    for label, value in meta:
        append_row(cover, [label, value])
    for part in content["sections"]:
        sheet = book.create_sheet(_sheet_title(part["title"], used))
        append_row(sheet, [part["title"]])
        sheet["A1"].font = Font(bold=True)
        if part.get("note"):
            append_row(sheet, [part["note"]])
        append_row(sheet, [c["label"] for c in part["columns"]])
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        kinds = [c["type"] for c in part["columns"]]
        for row in part["rows"]:
            append_row(sheet, [_excel_value(v, k) for v, k in zip(row, kinds, strict=False)])
            for cell, value, kind in zip(sheet[sheet.max_row], row, kinds, strict=False):
                if kind in ("figure", "percent"):
                    cell.number_format = "0.0%"
                elif kind == "points":
                    cell.number_format = "0.00"
                colour = COLOURS.get(cell_colour(value, kind))
                if colour:
                    cell.fill = PatternFill("solid", fgColor=colour)
        if part.get("more"):
            append_row(sheet, [f"… +{part['more']}"])
        for index, _column in enumerate(part["columns"]):
            letter = sheet.cell(row=header_row, column=index + 1).column_letter
            sheet.column_dimensions[letter].width = 16
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


# --- PDF -------------------------------------------------------------------------------

PDF_COLOURS = {
    "green": colors.HexColor("#C6EFCE"),
    "amber": colors.HexColor("#FFEB9C"),
    "red": colors.HexColor("#FFC7CE"),
}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_pdf(content: dict[str, Any], *, meta: list[tuple[str, str]]) -> bytes:
    """The report on A4 (landscape when a section is wide), Chinese in the embedded font;
    long texts wrap inside their cells."""
    font = slip_font()
    wide = any(len(part["columns"]) > WIDE for part in content["sections"])
    size = landscape(A4) if wide else A4
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22)
    head_style = ParagraphStyle("head", fontName=font, fontSize=11, leading=15, spaceBefore=6)
    body = ParagraphStyle("body", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    note_style = ParagraphStyle(
        "note", parent=body, textColor=colors.HexColor("#555555"), spaceAfter=2
    )
    story: list[Any] = [Paragraph(_escape(heading(content)), title_style)]
    story.extend(Paragraph(_escape(f"{label}：{value}"), body) for label, value in meta)
    available = size[0] - 24 * mm
    for part in content["sections"]:
        story.append(Paragraph(_escape(part["title"]), head_style))
        if part.get("note"):
            story.append(Paragraph(_escape(part["note"]), note_style))
        kinds = [c["type"] for c in part["columns"]]
        data: list[list[Any]] = [[Paragraph(_escape(c["label"]), body) for c in part["columns"]]]
        style = [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        for r, row in enumerate(part["rows"], start=1):
            data.append(
                [
                    Paragraph(_escape(cell_text(v, k)), body)
                    for v, k in zip(row, kinds, strict=False)
                ]
            )
            for c, (value, kind) in enumerate(zip(row, kinds, strict=False)):
                colour = PDF_COLOURS.get(cell_colour(value, kind))
                if colour is not None:
                    style.append(("BACKGROUND", (c, r), (c, r), colour))
        if not part["rows"]:
            data.append([Paragraph("—", body)] + [""] * (len(kinds) - 1))
        widths = [available / max(1, len(kinds))] * len(kinds)
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle(style))
        story.append(table)
        if part.get("more"):
            story.append(Paragraph(f"… +{part['more']}", note_style))
        story.append(Spacer(1, 4 * mm))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=heading(content),
    )
    document.build(story)
    return buffer.getvalue()
