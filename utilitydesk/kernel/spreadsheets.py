"""Every cell the product writes to an .xlsx or .csv file goes through here.

Text is written as text that cannot evaluate: a value starting with = + - @ (or a tab or
carriage return, which spreadsheet programs skip before looking for a formula) gets a
leading apostrophe, and .xlsx string cells are typed as strings, never as formulas or
error codes. Characters a worksheet cannot hold are dropped, so a value stored before
input was cleaned can never make an export fail."""

import csv
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import Cell

from .text import clean_text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel's limit for one cell; openpyxl would cut silently, we cut the same way.
MAX_CELL_CHARS = 32767


def safe_text(value: str) -> str:
    value = clean_text(value)
    if value.startswith(FORMULA_START):
        value = "'" + value
    return value[:MAX_CELL_CHARS]


def safe_value(value: Any) -> Any:
    """A value ready for a cell: numbers and dates as they are, anything else as safe text."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime | time):
        return value
    return safe_text(str(value))


def xlsx_row(sheet, values) -> list[Any]:
    """``values`` as cells for ``sheet.append`` (normal or write-only worksheet)."""

    row: list[Any] = []
    for value in values:
        value = safe_value(value)
        if isinstance(value, str):
            cell = Cell(sheet, row=1, column=1, value=value)  # placed by append
            cell.data_type = "s"
            value = cell
        row.append(value)
    return row


def append_row(sheet, values) -> None:
    sheet.append(xlsx_row(sheet, values))


class CsvWriter:
    """csv.writer whose rows go through ``safe_value``."""

    def __init__(self, stream, **fmtparams):
        self._writer = csv.writer(stream, **fmtparams)

    def writerow(self, values) -> None:
        self._writer.writerow([safe_value(v) for v in values])

    def writerows(self, rows) -> None:
        for values in rows:
            self.writerow(values)
