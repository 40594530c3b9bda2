"""Customer import from .xlsx/.csv: per-row validation, a report of every rejected row,
idempotent upserts keyed by account number, chunked bulk writes. Columns: docs/import.md."""

import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_boundaries

from utilitydesk.area.models import Building, Community, District, Grid, Substation
from utilitydesk.audit.models import AccessLog, ChangeRecord
from utilitydesk.audit.services import change_records_for, diff_values
from utilitydesk.kernel.bulk import insert_instances, insert_rows, insert_select_defaults
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.kernel.text import clean_text
from utilitydesk.privacy.access import record_access

from . import phones as phone_numbers
from .cleaning import address_of, clean_area, clean_phone_list
from .models import Customer, CustomerPhone, CustomerType, Premises, SpecialCare, SupplyStatus

log = logging.getLogger(__name__)

# Header names, compared without spaces, case, a leading * or a trailing (unit): see
# _header_key. Several phone columns (手机, 固定电话) are read as one list.
COLUMNS: dict[str, tuple[str, ...]] = {
    "account_no": ("account_no", "account", "户号", "账号", "用户编号", "用户号", "客户编号"),
    "name": ("name", "姓名", "户名", "客户名称", "用户名称", "客户姓名"),
    "phones": (
        "phones",
        "phone",
        "电话",
        "联系电话",
        "手机",
        "手机号",
        "手机号码",
        "电话号码",
        "联系方式",
        "固定电话",
        "固话",
        "座机",
        "备用电话",
    ),
    "customer_type": ("customer_type", "type", "客户类型", "用户类型"),
    "district": ("district", "区", "区县", "行政区"),
    "community": ("community", "小区"),
    "building": ("building", "楼", "楼号", "楼栋"),
    "unit": ("unit", "单元"),
    "room": ("room", "室", "房号", "门牌号"),
    "heated_area": ("heated_area", "area", "供热面积", "面积", "采暖面积", "收费面积", "计费面积"),
    "status": ("status", "状态", "供热状态"),
    "meter_no": ("meter_no", "meter", "表号"),
    "substation": ("substation", "换热站"),
    "grid": ("grid", "网格"),
    "special_care": ("special_care", "特殊关怀"),
    "long_term_since": (
        "long_term_since",
        "长期户起始日期",
        "长期户开始日期",
        "长期户起始",
        "项目户起始日期",
    ),
}
REQUIRED = (
    "account_no",
    "name",
    "phones",
    "district",
    "community",
    "building",
    "room",
    "heated_area",
)

CUSTOMER_TYPE_WORDS = {
    "resident": CustomerType.RESIDENT,
    "居民": CustomerType.RESIDENT,
    "non_resident": CustomerType.NON_RESIDENT,
    "非居民": CustomerType.NON_RESIDENT,
    "commercial": CustomerType.COMMERCIAL,
    "商业": CustomerType.COMMERCIAL,
    "商业用户": CustomerType.COMMERCIAL,
}
STATUS_WORDS = {
    "supplied": SupplyStatus.SUPPLIED,
    "供热": SupplyStatus.SUPPLIED,
    "正常": SupplyStatus.SUPPLIED,
    "suspended": SupplyStatus.SUSPENDED,
    "停热": SupplyStatus.SUSPENDED,
    "停供": SupplyStatus.SUSPENDED,
    "报停": SupplyStatus.SUSPENDED,
    "closed": SupplyStatus.CLOSED,
    "销户": SupplyStatus.CLOSED,
}
SPECIAL_CARE_WORDS = {
    "elderly": SpecialCare.ELDERLY,
    "老人": SpecialCare.ELDERLY,
    "老年": SpecialCare.ELDERLY,
    "sick": SpecialCare.SICK,
    "病": SpecialCare.SICK,
    "患病": SpecialCare.SICK,
    "disabled": SpecialCare.DISABLED,
    "残疾": SpecialCare.DISABLED,
    "残": SpecialCare.DISABLED,
    "none": SpecialCare.NONE,
    "无": SpecialCare.NONE,
    "否": SpecialCare.NONE,
}
ACCOUNT_NO = re.compile(r"^[A-Za-z0-9-]{1,32}$")


# A customer row is a few hundred characters; a longer line is not a customer file and
# would otherwise be held in memory whole.
MAX_LINE_CHARS = 65536
# Longest cell value kept in a report (the report lists values, it does not archive them).
REPORT_VALUE_CHARS = 100


@dataclass(frozen=True)
class ImportLimits:
    """What one import may hold (settings IMPORT_*; docs/security.md)."""

    max_file_bytes: int | None
    max_rows: int | None
    max_xlsx_uncompressed_bytes: int | None
    reasons_per_column: int

    @classmethod
    def from_settings(cls, **overrides: Any) -> "ImportLimits":
        values = {
            "max_file_bytes": settings.IMPORT_MAX_FILE_BYTES,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_xlsx_uncompressed_bytes": settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
            "reasons_per_column": settings.IMPORT_REPORT_REASONS_PER_COLUMN,
        }
        return cls(**{**values, **overrides})


@dataclass
class RowError:
    row: int
    column: str
    value: str
    reason: str
    column_title: str = ""  # the header as written in the file


@dataclass
class ImportReport:
    """What happened to every row. ``rejected`` keeps the first reasons of each column
    (``reasons_per_column``); ``rejected_by_column`` counts them all. When the import
    stops early, rows before ``not_processed_from_row`` were processed (imported or
    rejected) and that row and every later one were not."""

    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    buildings_created: int = 0
    rejected_rows: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_by_column: dict[str, int] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    column_titles: dict[str, str] = field(default_factory=dict)
    header_row: int | None = None  # rows above it are titles
    not_processed_from_row: int | None = None
    dry_run: bool = False
    reasons_per_column: int = 100

    def reject(self, errors: list[RowError]) -> None:
        """Record one rejected row and its reasons."""
        self.rejected_rows += 1
        for error in errors:
            seen = self.rejected_by_column.get(error.column, 0)
            if seen < self.reasons_per_column:
                if len(error.value) > REPORT_VALUE_CHARS:
                    error.value = error.value[:REPORT_VALUE_CHARS] + "…"
                self.rejected.append(error)
            self.rejected_by_column[error.column] = seen + 1

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # What a checkpoint keeps: the counts and reasons of the rows processed so far (the
    # header's facts are found again when the file is read again).
    _PROGRESS_FIELDS = ("created", "updated", "unchanged", "buildings_created", "rejected_rows")

    def progress_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name) for name in self._PROGRESS_FIELDS}
        state["rejected"] = [dict(error.__dict__) for error in self.rejected]
        state["rejected_by_column"] = dict(self.rejected_by_column)
        return state

    def restore_progress(self, state: Mapping[str, Any]) -> None:
        for name in self._PROGRESS_FIELDS:
            setattr(self, name, int(state.get(name, 0)))
        self.rejected = [RowError(**error) for error in state.get("rejected", [])]
        self.rejected_by_column = dict(state.get("rejected_by_column", {}))


class ImportFileError(Exception):
    pass


class ImportInterrupted(Exception):
    """The import was taken away from this run (its job's lease passed to another worker):
    it stops at once, its current chunk rolled back, and reports nothing."""


# --- reading ---------------------------------------------------------------------------

# The header is looked for in the first rows: offices put a title (often merged across
# the columns), a date or a blank row above it.
HEADER_SEARCH_ROWS = 20
# Merged ranges kept from one sheet; a customer file has a few, a sheet with more is not
# one (and would otherwise be held in memory whole).
MAX_MERGED_RANGES = 100_000
# Full-width letters, digits and signs (an input method in full-width mode) as ASCII.
_WIDE_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class SpreadsheetDate(str):
    """The text of a cell the spreadsheet stored as a date (or time)."""


class SpreadsheetNumber(str):
    """The text of a cell the spreadsheet stored as a number."""


def _narrow(text: str) -> str:
    return text if text.isascii() else text.translate(_WIDE_TO_ASCII)


def _cell_text(value: Any) -> str:
    """A CSV cell (always text) as the import reads it."""
    if value is None:
        return ""
    return clean_text(str(value)).strip()


def _xlsx_text(value: Any) -> str:
    """An .xlsx cell as text, remembering whether it was typed as a number or a date."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value).strip()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return SpreadsheetNumber(value)
    if isinstance(value, float):
        # 13812345678.0 and 1.3812345678E+10 are the same whole number.
        return SpreadsheetNumber(int(value) if value.is_integer() else value)
    if isinstance(value, datetime):
        if value.time() == time():
            return SpreadsheetDate(value.date().isoformat())
        return SpreadsheetDate(value.isoformat(sep=" "))
    if isinstance(value, date | time | timedelta):
        return SpreadsheetDate(value.isoformat() if hasattr(value, "isoformat") else value)
    return clean_text(str(value)).strip()


_HEADER_UNIT = re.compile(r"[(\[【][^)\]】]*[)\]】]$")


def _header_key(title: str) -> str:
    """A header as compared with the known names: 供热面积（㎡）, *户号, 联系 电话 and
    Phone match 供热面积, 户号, 联系电话 and phone."""
    text = unicodedata.normalize("NFKC", title).lower()
    text = "".join(text.split()).strip("*")
    return _HEADER_UNIT.sub("", text)


_COLUMN_LOOKUP = {_header_key(alias): key for key, aliases in COLUMNS.items() for alias in aliases}


def _column_name(key: str) -> str:
    """A column as the report names it: its Chinese header and its English key."""
    chinese = next((a for a in COLUMNS[key] if not a.isascii()), key)
    return f"{chinese} ({key})"


@dataclass
class _Header:
    row: int  # its row number in the file
    columns: dict[int, str]  # cell index → column key
    extra_phones: list[int]  # further phone columns (手机 beside 固定电话)


def _header_columns(cells: list[str]) -> tuple[dict[int, str], list[int]]:
    columns: dict[int, str] = {}
    extra_phones: list[int] = []
    for index, title in enumerate(cells):
        key = _COLUMN_LOOKUP.get(_header_key(title)) if title else None
        if key is None:
            continue
        if key not in columns.values():
            columns[index] = key
        elif key == "phones":
            extra_phones.append(index)
    return columns, extra_phones


def _find_header(rows: Iterator[tuple[int, list[str]]], report: ImportReport) -> _Header:
    """The first row (of the first HEADER_SEARCH_ROWS) that names every required column;
    rows above it are titles. Records the columns' titles and ignored ones in ``report``."""
    best: tuple[int, int, list[str]] | None = None  # (known columns, row, cells)
    empty = True
    for number, cells in rows:
        empty = empty and not any(cells)
        columns, extra_phones = _header_columns(cells)
        if all(key in columns.values() for key in REQUIRED):
            _record_header(cells, columns, extra_phones, report)
            report.header_row = number
            return _Header(number, columns, extra_phones)
        if columns and (best is None or len(columns) > best[0]):
            best = (len(columns), number, cells)
        if number >= HEADER_SEARCH_ROWS:
            break
    if empty:
        raise ImportFileError(_("The file is empty."))
    if best is None:
        raise ImportFileError(
            _(
                "No header row was found in the first %(rows)d rows: the header names the "
                "columns, such as 户号, 姓名, 电话 (see the column list)."
            )
            % {"rows": HEADER_SEARCH_ROWS}
        )
    _count, number, cells = best
    columns, _extra = _header_columns(cells)
    missing = [_column_name(key) for key in REQUIRED if key not in columns.values()]
    raise ImportFileError(
        _("The header (row %(row)d) lacks required columns: %(columns)s.")
        % {"row": number, "columns": ", ".join(missing)}
    )


def _record_header(
    cells: list[str], columns: dict[int, str], extra_phones: list[int], report: ImportReport
) -> None:
    ignored_full = len(report.ignored_columns) >= report.reasons_per_column
    for index, title in enumerate(cells):
        title = " ".join(title.split())  # a wrapped header cell reads as one line
        if index in columns:
            report.column_titles[columns[index]] = title
        elif title and index not in extra_phones and not ignored_full:
            report.ignored_columns.append(title[:REPORT_VALUE_CHARS])
            ignored_full = len(report.ignored_columns) >= report.reasons_per_column


def _row_values(
    cells: Sequence[Any], header: _Header, text: Callable[[Any], str]
) -> dict[str, str]:
    width = len(cells)
    values = {key: text(cells[i]) if i < width else "" for i, key in header.columns.items()}
    if header.extra_phones:
        numbers = [values.get("phones", "")]
        numbers += [text(cells[i]) for i in header.extra_phones if i < width]
        values["phones"] = ";".join(n for n in numbers if n)
    return values


def _too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(
        _("The file has more than %(limit)s rows; split it into smaller files.")
        % {"limit": f"{limit:,}"}
    )


def _bounded_lines(text: io.TextIOBase) -> Iterator[str]:
    """The file's lines, refusing one that is too long before it is held in memory."""
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise ImportFileError(
                _("A line of the file is longer than %(limit)s characters.")
                % {"limit": f"{MAX_LINE_CHARS:,}"}
            )
        yield line


def _open_csv(path: Path, limits: ImportLimits) -> tuple[str, type[csv.Dialect] | csv.Dialect, int]:
    """Encoding, dialect and number of non-empty rows after the first, found in one
    streaming pass that also enforces the row limit: nothing is written for a file that
    would be refused."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as text:
                sample = text.read(8192)
                try:
                    dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
                except csv.Error:
                    dialect = csv.excel
                text.seek(0)
                rows = -1  # the header
                for values in csv.reader(_bounded_lines(text), dialect):
                    if any(v.strip() for v in values):
                        rows += 1
                        if limits.max_rows is not None and rows > limits.max_rows:
                            raise _too_many_rows(limits.max_rows)
            return encoding, dialect, max(rows, 0)
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file cannot be read: %(error)s") % {"error": exc}
            ) from exc
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 encoded."))


def _check_xlsx(path: Path, limits: ImportLimits) -> None:
    """Refuse a workbook that would unpack to more than the limit (a "zip bomb") from the
    sizes its zip directory declares, before anything is unpacked. The declared sizes
    also bound what is unpacked: Python's zipfile stops at them."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    limit = limits.max_xlsx_uncompressed_bytes
    if limit is not None and unpacked > limit:
        raise ImportFileError(
            _(
                "The Excel file unpacks to %(size)s MB, more than the %(limit)s MB allowed; "
                "save it as CSV or split it."
            )
            % {"size": megabytes(unpacked), "limit": megabytes(limit)}
        )


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')


def _merged_ranges(workbook, sheet) -> dict[int, list[tuple[int, int, int]]]:
    """The sheet's merged ranges as {first row: [(first column, last column, last row)]}.
    openpyxl's read-only mode does not give them; they follow the cells in the sheet's
    XML, which is scanned as a stream (its size is bounded by ``_check_xlsx``)."""

    ranges: dict[int, list[tuple[int, int, int]]] = {}
    count = 0
    tail = b""
    # openpyxl keeps the archive and the sheet's path in private attributes (3.1).
    with workbook._archive.open(sheet._worksheet_path) as source:
        while chunk := source.read(1 << 20):
            data = tail + chunk
            end = 0
            if b"mergeCell" in data:
                for match in _MERGE_CELL.finditer(data):
                    end = match.end()
                    min_col, min_row, max_col, max_row = range_boundaries(match[1].decode())
                    if (min_col, min_row) == (max_col, max_row):
                        continue
                    count += 1
                    if count > MAX_MERGED_RANGES:
                        raise ImportFileError(
                            _("The sheet has more than %(limit)s merged cells; unmerge them.")
                            % {"limit": f"{MAX_MERGED_RANGES:,}"}
                        )
                    ranges.setdefault(min_row, []).append((min_col, max_col, max_row))
            tail = data[max(end, len(data) - 256) :]
    return ranges


def _fill_merged(
    rows: Iterator[tuple[Any, ...]], ranges: dict[int, list[tuple[int, int, int]]]
) -> Iterator[tuple[int, Sequence[Any]]]:
    """Rows numbered from 1, each cell of a merged range holding the range's value (a 小区
    merged down its rows applies to each of them). A row whose own cells are all empty
    stays empty."""
    active: list[tuple[int, int, int, Any]] = []  # (first column, last column, last row, value)
    for number, cells in enumerate(rows, start=1):
        if not ranges and not active:
            yield number, cells
            continue
        for min_col, max_col, max_row in ranges.pop(number, ()):
            value = cells[min_col - 1] if min_col <= len(cells) else None
            active.append((min_col, max_col, max_row, value))
        active = [a for a in active if a[2] >= number]
        if not active or not any(v is not None and v != "" for v in cells):
            yield number, cells
            continue
        filled = list(cells)
        for min_col, max_col, _max_row, value in active:
            if len(filled) < max_col:
                filled += [None] * (max_col - len(filled))
            for index in range(min_col - 1, max_col):
                if filled[index] is None or filled[index] == "":
                    filled[index] = value
        yield number, filled


def read_rows(
    path: Path, report: ImportReport, limits: ImportLimits | None = None
) -> tuple[Generator[tuple[int, dict[str, str]], None, None], int]:
    """Rows as (row number as the spreadsheet shows it, {column key: text}) and the number
    of data rows. Rows above the header (titles) are skipped. Both formats are read as a
    stream: memory does not grow with the file."""
    limits = limits or ImportLimits.from_settings()
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(_("Only .xlsx and .csv files can be imported."))
    size = path.stat().st_size
    if limits.max_file_bytes is not None and size > limits.max_file_bytes:
        raise ImportFileError(file_too_large(size, limits.max_file_bytes))
    if suffix == ".csv":
        return _read_csv(path, report, limits)
    return _read_xlsx(path, report, limits)


def _read_csv(
    path: Path, report: ImportReport, limits: ImportLimits
) -> tuple[Generator[tuple[int, dict[str, str]], None, None], int]:
    encoding, dialect, rows_after_first = _open_csv(path, limits)
    text = path.open(encoding=encoding, newline="")
    reader = csv.reader(_bounded_lines(text), dialect)
    filled_above = 0  # non-empty rows above the header (titles)

    def header_candidates() -> Iterator[tuple[int, list[str]]]:
        nonlocal filled_above
        for number, values in enumerate(reader, start=1):
            cells = [_cell_text(v) for v in values]
            yield number, cells
            if any(cells):
                filled_above += 1

    try:
        header = _find_header(header_candidates(), report)
    except ImportFileError:
        text.close()
        raise
    except csv.Error as exc:
        text.close()
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from exc
    total = max(0, rows_after_first - filled_above)

    def csv_rows() -> Generator[tuple[int, dict[str, str]], None, None]:
        with text:
            for number, values in enumerate(reader, start=header.row + 1):
                if not any(v.strip() for v in values):
                    continue
                yield number, _row_values(values, header, _cell_text)

    return csv_rows(), total


def _read_xlsx(
    path: Path, report: ImportReport, limits: ImportLimits
) -> tuple[Generator[tuple[int, dict[str, str]], None, None], int]:

    _check_xlsx(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        declared_rows = sheet.max_row
        # The declared size only estimates: openpyxl would stop reading at it.
        sheet.reset_dimensions()
        numbered = _fill_merged(sheet.iter_rows(values_only=True), _merged_ranges(workbook, sheet))
        header = _find_header(
            ((number, [_xlsx_text(v) for v in cells]) for number, cells in numbered), report
        )
    except ImportFileError:
        workbook.close()
        raise
    except Exception as exc:
        workbook.close()
        raise ImportFileError(
            _("The Excel file cannot be read: %(error)s") % {"error": exc}
        ) from exc
    total = max(0, (declared_rows or 0) - header.row)
    if limits.max_rows is not None and total > limits.max_rows:
        workbook.close()
        raise _too_many_rows(limits.max_rows)

    def xlsx_rows() -> Generator[tuple[int, dict[str, str]], None, None]:
        # The declared size can be wrong: the limit is checked again while reading.
        data_rows = 0
        try:
            for number, cells in numbered:
                if not any(_xlsx_text(v) for v in cells):
                    continue
                data_rows += 1
                if limits.max_rows is not None and data_rows > limits.max_rows:
                    raise _too_many_rows(limits.max_rows)
                yield number, _row_values(cells, header, _xlsx_text)
        finally:
            workbook.close()

    return xlsx_rows(), total


def megabytes(size: int) -> str:
    return f"{size / 2**20:,.2f}".rstrip("0").rstrip(".")


def file_too_large(size: int, limit: int) -> str:
    return _("The file is %(size)s MB, more than the %(limit)s MB allowed; split it.") % {
        "size": megabytes(size),
        "limit": megabytes(limit),
    }


def upload_too_large() -> str:
    """The message for an upload stopped at settings.IMPORT_MAX_FILE_BYTES."""
    return _("The file is larger than the %(limit)s MB allowed; split it.") % {
        "limit": megabytes(settings.IMPORT_MAX_FILE_BYTES)
    }


def reasons_not_listed(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Per column of a stored report, how many reasons are counted but not listed."""
    listed: dict[str, int] = {}
    for error in report.get("rejected") or []:
        listed[error.get("column", "")] = listed.get(error.get("column", ""), 0) + 1
    titles = report.get("column_titles") or {}
    return [
        {"column": titles.get(column, column), "count": count, "listed": listed.get(column, 0)}
        for column, count in (report.get("rejected_by_column") or {}).items()
        if count > listed.get(column, 0)
    ]


# --- validating one row ----------------------------------------------------------------


def _choice(words: Mapping[str, str], raw: str, default: str) -> str | None:
    if not raw:
        return default
    return words.get(raw.strip().lower())


# How Excel writes a number cell into a CSV file: 13812345678.0, or 1.3812345678E+10 and,
# in a narrow column, 1.38123E+10 (digits lost).
_WHOLE_WITH_ZEROS = re.compile(r"^([0-9]+)\.0+$")
_SCIENTIFIC = re.compile(r"^([0-9])(?:\.([0-9]+))?[eE]\+([0-9]{1,2})$")
_DATE_YMD = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T][0-9:.]+)?$")
_DATE_CHINESE = re.compile(r"^([0-9]{4})年([0-9]{1,2})月(?:([0-9]{1,2})[日号])?$")
_DATE_YM = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})$")
_DATE_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_DATE_SERIAL = re.compile(r"^([0-9]{5})(?:\.[0-9]+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel counts 1900-02-29)


def _whole_number(text: str) -> str | None:
    """The digits of a cell holding a whole number as a spreadsheet writes it (a number
    cell, 13812345678.0, 1.3812345678E+10); None for other text. ValueError when the
    scientific notation dropped digits (1.38123E+10)."""
    if isinstance(text, SpreadsheetNumber):
        return str(text)
    if "." not in text and "+" not in text:
        return None
    if match := _WHOLE_WITH_ZEROS.match(text):
        return match[1]
    if match := _SCIENTIFIC.match(text):
        decimals, exponent = match[2] or "", int(match[3])
        if len(decimals) < exponent:
            raise ValueError(text)
        if decimals[exponent:].strip("0"):
            return None
        return match[1] + decimals[:exponent]
    return None


def _parse_date(text: str) -> date | None:
    """2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301, a month (2024-03, 2024年3月:
    its first day) or an Excel serial day number (45352); None when it is none of them."""
    text = _narrow(text)
    try:
        if match := _DATE_YMD.match(text) or _DATE_COMPACT.match(text):
            day = date(int(match[1]), int(match[2]), int(match[3]))
        elif match := _DATE_CHINESE.match(text):
            day = date(int(match[1]), int(match[2]), int(match[3] or 1))
        elif match := _DATE_YM.match(text):
            day = date(int(match[1]), int(match[2]), 1)
        elif match := _DATE_SERIAL.match(text):
            day = _EXCEL_EPOCH + timedelta(days=int(match[1]))
        else:
            return None
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2100 else None


def clean_row(number: int, values: dict[str, str]) -> tuple[dict[str, Any] | None, list[RowError]]:
    """Check one row without the database; returns the cleaned row or its errors."""
    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(number, column, values.get(column, ""), reason))

    def lost_digits(column: str) -> None:
        fail(
            column,
            _(
                "Excel wrote this number in scientific notation and dropped digits; format "
                "the column as text, enter the numbers again and save."
            ),
        )

    for key, value in values.items():
        if type(value) is str:
            continue
        if type(value) is SpreadsheetDate and key != "long_term_since":
            # Excel turns 3-1 typed into a 单元 or 室 cell into 1 March.
            fail(
                key,
                _(
                    "Excel stored this cell as a date; format the column as text and enter "
                    "the value again."
                ),
            )
        elif type(value) is SpreadsheetNumber:
            if len(value) > 15 and value.isdigit():
                lost_digits(key)  # Excel keeps 15 significant digits of a number
            elif key != "phones":
                values[key] = str(value)  # what is stored is plain text
    if errors:
        return None, errors
    for key in REQUIRED:
        if not values.get(key):
            fail(key, _("This column is required."))
    account_no = _narrow(values.get("account_no", ""))
    if account_no:
        try:
            account_no = _whole_number(account_no) or account_no
        except ValueError:
            lost_digits("account_no")
        else:
            if not ACCOUNT_NO.match(account_no):
                fail(
                    "account_no",
                    _("Account numbers are letters, digits and hyphens, at most 32."),
                )
    phones: list[str] = []
    if raw_phones := values.get("phones"):
        try:
            whole = _whole_number(raw_phones)
        except ValueError:
            lost_digits("phones")
        else:
            try:
                phones = clean_phone_list(
                    raw_phones if whole is None else phone_numbers.from_spreadsheet_number(whole)
                )
            except ValidationError as exc:
                fail("phones", exc.message_dict["phones"][0])
    meter_no = _narrow(values.get("meter_no", ""))
    if meter_no:
        try:
            meter_no = _whole_number(meter_no) or meter_no
        except ValueError:
            lost_digits("meter_no")
    area: Decimal | None = None
    if values.get("heated_area"):
        try:
            area = clean_area(values["heated_area"])
        except ValidationError as exc:
            fail("heated_area", exc.message_dict["heated_area"][0])
    customer_type = _choice(
        CUSTOMER_TYPE_WORDS, values.get("customer_type", ""), CustomerType.RESIDENT
    )
    if customer_type is None:
        fail("customer_type", _("Use 居民, 非居民 or 商业 (resident, non_resident, commercial)."))
    status = _choice(STATUS_WORDS, values.get("status", ""), SupplyStatus.SUPPLIED)
    if status is None:
        fail("status", _("Use 供热, 停热 or 销户 (supplied, suspended, closed)."))
    special_care = _choice(SPECIAL_CARE_WORDS, values.get("special_care", ""), SpecialCare.NONE)
    if special_care is None:
        fail("special_care", _("Use 老人, 患病, 残疾 or leave it empty."))
    long_term_since: date | None = None
    if values.get("long_term_since"):
        long_term_since = _parse_date(values["long_term_since"])
        if long_term_since is None:
            fail("long_term_since", _("Use a date such as 2024-03-01."))
    unit_no, room_no = _narrow(values.get("unit", "")), _narrow(values.get("room", ""))
    for key, limit in (
        ("name", 100),
        ("district", 50),
        ("community", 100),
        ("building", 50),
        ("unit", 16),
        ("room", 16),
        ("meter_no", 32),
    ):
        if len(values.get(key, "")) > limit:
            fail(key, _("At most %(limit)d characters.") % {"limit": limit})
    if errors:
        return None, errors
    cleaned = {
        "row": number,
        "account_no": account_no,
        "name": values["name"],
        "phones": phones,
        "customer_type": customer_type,
        "special_care": special_care,
        "building_key": (values["district"], values["community"], values["building"]),
        "substation": values.get("substation", ""),
        "grid": values.get("grid", ""),
        "unit_no": unit_no,
        "room_no": room_no,
        "heated_area": area,
        "status": status,
        "meter_no": meter_no,
    }
    if "long_term_since" in values:  # only a file with the column changes it
        cleaned["long_term_since"] = long_term_since
    return cleaned, []


# --- writing a chunk -------------------------------------------------------------------


@dataclass
class _ChunkOutcome:
    """What one chunk did; added to the report only once the chunk is committed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    buildings_created: int = 0
    rejected: list[RowError] = field(default_factory=list)  # one per row

    def add_to(self, report: ImportReport) -> None:
        report.created += self.created
        report.updated += self.updated
        report.unchanged += self.unchanged
        report.buildings_created += self.buildings_created
        for error in self.rejected:
            report.reject([error])


class _Buildings:
    """Resolves (district, community, building) to a Building, creating it when allowed.
    A chunk's buildings are looked up and created together (a few queries per chunk, not
    several per building)."""

    def __init__(self, create: bool):
        self.create = create
        self.cache: dict[tuple[str, str, str], Building] = {}
        self.substations: dict[str, Substation | None] = {}
        self.grids: dict[str, Grid | None] = {}

    def _fetch(self, keys: set[tuple[str, str, str]]) -> None:
        """Put the existing buildings of ``keys`` in the cache: one query for a superset
        (the keys' names), matched exactly here."""
        keys = keys - self.cache.keys()
        if not keys:
            return
        found = Building.objects.select_related(
            "community__district", "substation__station", "grid__station"
        ).filter(
            community__district__name__in={k[0] for k in keys},
            community__name__in={k[1] for k in keys},
            name__in={k[2] for k in keys},
        )
        for building in found:
            key = (building.community.district.name, building.community.name, building.name)
            if key in keys:
                self.cache[key] = building

    def _lookup(self, model, cache: dict, value: str):
        if value not in cache:
            cache[value] = (
                model.objects.filter(code=value).first() or model.objects.filter(name=value).first()
            )
        return cache[value]

    def prepare(
        self, rows: list[dict[str, Any]], outcome: _ChunkOutcome | None
    ) -> dict[int, RowError]:
        """Find (and, when allowed and ``outcome`` is given, create) the buildings of
        ``rows``; returns the errors of rows whose building cannot be had, by row number.
        Without ``outcome`` nothing is created: a resumed import finding what its earlier
        chunks resolved."""
        self._fetch({row["building_key"] for row in rows})
        errors: dict[int, RowError] = {}
        to_create: dict[tuple[str, str, str], tuple[Substation | None, Grid | None]] = {}
        for row in rows:
            key = row["building_key"]
            if key in self.cache or key in to_create:
                continue
            if not self.create or outcome is None:
                reason = _("Building %(building)s does not exist (use “create missing buildings”).")
                errors[row["row"]] = RowError(
                    row["row"], "building", "".join(key), reason % {"building": "".join(key)}
                )
                continue
            substation = grid = None
            if row["substation"]:
                substation = self._lookup(Substation, self.substations, row["substation"])
                if substation is None:
                    errors[row["row"]] = RowError(
                        row["row"], "substation", row["substation"], _("Unknown substation.")
                    )
                    continue
            if row["grid"]:
                grid = self._lookup(Grid, self.grids, row["grid"])
                if grid is None:
                    errors[row["row"]] = RowError(
                        row["row"], "grid", row["grid"], _("Unknown grid.")
                    )
                    continue
            to_create[key] = (substation, grid)
        if to_create and outcome is not None:
            self._create(to_create)
            outcome.buildings_created += len(to_create)
        return errors

    def _create(
        self, new: dict[tuple[str, str, str], tuple[Substation | None, Grid | None]]
    ) -> None:
        names = {k[0] for k in new}
        districts = {d.name: d for d in District.objects.filter(name__in=names)}
        if missing := sorted(names - districts.keys()):
            District.objects.bulk_create([District(name=n) for n in missing])
            districts = {d.name: d for d in District.objects.filter(name__in=names)}
        pairs = {(k[0], k[1]) for k in new}
        communities = {
            (c.district.name, c.name): c
            for c in Community.objects.select_related("district").filter(
                district__name__in=names, name__in={p[1] for p in pairs}
            )
        }
        absent = sorted(pairs - communities.keys())
        if absent:
            Community.objects.bulk_create(
                [Community(district=districts[d], name=c) for d, c in absent]
            )
            communities = {
                (c.district.name, c.name): c
                for c in Community.objects.select_related("district").filter(
                    district__name__in=names, name__in={p[1] for p in pairs}
                )
            }
        Building.objects.bulk_create(
            [
                Building(
                    community=communities[(k[0], k[1])],
                    name=k[2],
                    substation=substation,
                    grid=grid,
                )
                for k, (substation, grid) in new.items()
            ]
        )
        self._fetch(set(new))


def _write_chunk(
    rows: list[dict[str, Any]],
    actor,
    buildings: _Buildings,
    outcome: _ChunkOutcome,
    seen_accounts: dict[str, int],
    seen_premises: dict[tuple, int],
) -> None:
    now = timezone.now()
    accounts = [r["account_no"] for r in rows]
    if connection.vendor == "postgresql" and accounts:
        # Which accounts exist, asked with one array parameter (a first import finds
        # none); only those are loaded with their phones and premises.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT account_no FROM {Customer._meta.db_table} WHERE account_no = ANY(%s)",  # nosec B608: table from model metadata
                [accounts],
            )
            accounts = [account for (account,) in cursor.fetchall()]
    existing = (
        {
            c.account_no: c
            for c in Customer.objects.filter(account_no__in=accounts).prefetch_related(
                "phones", "premises"
            )
        }
        if accounts
        else {}
    )
    resolved: list[tuple[dict[str, Any], Building]] = []
    building_errors = buildings.prepare(rows, outcome)
    for row in rows:
        first_row = seen_accounts.get(row["account_no"])
        if first_row is not None:
            outcome.rejected.append(
                RowError(
                    row["row"],
                    "account_no",
                    row["account_no"],
                    _("Duplicate account number: also on row %(row)d.") % {"row": first_row},
                )
            )
            continue
        error = building_errors.get(row["row"])
        if error:
            outcome.rejected.append(error)
            continue
        building = buildings.cache[row["building_key"]]
        premises_key = (building.pk, row["unit_no"], row["room_no"])
        first_row = seen_premises.get(premises_key)
        if first_row is not None:
            outcome.rejected.append(
                RowError(
                    row["row"],
                    "room",
                    row["room_no"],
                    _("The same premises is also on row %(row)d.") % {"row": first_row},
                )
            )
            continue
        seen_accounts[row["account_no"]] = row["row"]
        seen_premises[premises_key] = row["row"]
        resolved.append((row, building))

    occupied = {}
    building_ids = {b.pk for _row, b in resolved}
    if building_ids:
        # The holders' accounts come by primary key: a join here made PostgreSQL read
        # every customer once the table was large.
        for p in Premises.objects.filter(building_id__in=building_ids).prefetch_related("customer"):
            occupied[(p.building_id, p.unit_no, p.room_no)] = p

    new_customers: list[tuple[dict[str, Any], Building]] = []
    change_records: list[ChangeRecord] = []
    customers_to_update: list[Customer] = []
    premises_to_update: list[Premises] = []
    new_premises: list[dict[str, Any]] = []
    phone_replacements: list[tuple[Customer, list[str]]] = []

    for row, building in resolved:
        key = (building.pk, row["unit_no"], row["room_no"])
        holder = occupied.get(key)
        if holder is not None and holder.customer.account_no != row["account_no"]:
            outcome.rejected.append(
                RowError(
                    row["row"],
                    "room",
                    row["room_no"],
                    _("These premises belong to account %(account)s.")
                    % {"account": holder.customer.account_no},
                )
            )
            continue
        premises_values = {
            "unit_no": row["unit_no"],
            "room_no": row["room_no"],
            "heated_area": f"{row['heated_area']:.2f}",
            "status": row["status"],
            "metered": bool(row["meter_no"]),
            "meter_no": row["meter_no"],
        }
        customer = existing.get(row["account_no"])
        if customer is None:
            new_customers.append((row, building))
            continue
        before: dict[str, Any] = {
            "name": customer.name,
            "customer_type": customer.customer_type,
            "special_care": customer.special_care,
            "phones": ";".join(p.number for p in customer.phones.all()),
        }
        after = {
            "name": row["name"],
            "customer_type": row["customer_type"],
            "special_care": row["special_care"],
            "phones": ";".join(row["phones"]),
        }
        if "long_term_since" in row:
            before["long_term_since"] = customer.long_term_since
            after["long_term_since"] = row["long_term_since"]
        customer_diff = diff_values(before, after)
        premises_diff: dict[str, tuple[str, str]] = {}
        if holder is None:
            new_premises.append(_new_premises(customer.pk, building, row))
        else:
            before_p = {
                "unit_no": holder.unit_no,
                "room_no": holder.room_no,
                "heated_area": f"{holder.heated_area:.2f}",
                "status": holder.status,
                "metered": holder.metered,
                "meter_no": holder.meter_no,
            }
            premises_diff = diff_values(before_p, premises_values)
            if premises_diff:
                holder.heated_area = row["heated_area"]
                holder.status = row["status"]
                holder.metered = bool(row["meter_no"]) or holder.metered
                holder.meter_no = row["meter_no"]
                premises_to_update.append(holder)
                change_records += change_records_for(
                    holder, premises_diff, "import", now, actor=actor
                )
        if customer_diff:
            customer.name, customer.customer_type = row["name"], row["customer_type"]
            customer.special_care = row["special_care"]
            customer.long_term_since = row.get("long_term_since", customer.long_term_since)
            customer.updated_by, customer.updated_at = actor, now
            customers_to_update.append(customer)
            change_records += change_records_for(
                customer, customer_diff, "import", now, actor=actor
            )
            if "phones" in customer_diff:
                phone_replacements.append((customer, row["phones"]))
        if customer_diff or premises_diff or holder is None:
            outcome.updated += 1
        else:
            outcome.unchanged += 1

    if new_customers and connection.vendor == "postgresql":
        _insert_new_customers(new_customers, actor, now)
    elif new_customers:
        customers = [
            Customer(
                account_no=row["account_no"],
                name=row["name"],
                customer_type=row["customer_type"],
                special_care=row["special_care"],
                long_term_since=row.get("long_term_since"),
                created_by=actor,
                created_at=now,
                updated_by=actor,
                updated_at=now,
            )
            for row, _building in new_customers
        ]
        insert_instances(Customer, customers)
        new_premises += [
            _new_premises(c.pk, b, r) for c, (r, b) in zip(customers, new_customers, strict=True)
        ]
        insert_rows(
            CustomerPhone,
            [
                {"customer_id": c.pk, "number": n, "position": i}
                for c, (r, _b) in zip(customers, new_customers, strict=True)
                for i, n in enumerate(r["phones"])
            ],
        )
    outcome.created += len(new_customers)
    insert_rows(Premises, new_premises)
    if customers_to_update:
        Customer.objects.bulk_update(
            customers_to_update,
            [
                "name",
                "customer_type",
                "special_care",
                "long_term_since",
                "updated_by",
                "updated_at",
            ],
        )
    if premises_to_update:
        Premises.objects.bulk_update(
            premises_to_update, ["heated_area", "status", "metered", "meter_no"]
        )
    if phone_replacements:
        CustomerPhone.objects.filter(customer__in=[c for c, _n in phone_replacements]).delete()
        CustomerPhone.objects.bulk_create(
            [
                CustomerPhone(customer=c, number=n, position=i)
                for c, numbers in phone_replacements
                for i, n in enumerate(numbers)
            ]
        )
    if change_records:
        ChangeRecord.objects.bulk_create(change_records)


def _new_premises(customer_id: int, building: Building, row: dict[str, Any]) -> dict[str, Any]:
    """The row of a premises the file adds (for ``insert_rows``)."""
    station = building.station
    return {
        "customer_id": customer_id,
        "building_id": building.pk,
        "unit_no": row["unit_no"],
        "room_no": row["room_no"],
        "station_id": station.pk if station else None,
        "address_text": address_of(building, row["unit_no"], row["room_no"]),
        "heated_area": row["heated_area"],
        "status": row["status"],
        "metered": bool(row["meter_no"]),
        "meter_no": row["meter_no"],
    }


# The new accounts of a chunk, staged by one COPY (PostgreSQL): a temporary table of the
# session, emptied at each commit and before each chunk (a dry run is one transaction).
_STAGING = "customers_import_staging"
_STAGING_COLUMNS = (
    ("row", "integer"),
    ("account_no", "varchar(32)"),
    ("name", "varchar(100)"),
    ("customer_type", "varchar(16)"),
    ("special_care", "varchar(16)"),
    ("long_term_since", "date"),
    ("building_id", "bigint"),
    ("unit_no", "varchar(16)"),
    ("room_no", "varchar(16)"),
    ("station_id", "bigint"),
    ("address_text", "varchar(300)"),
    ("heated_area", "numeric(10, 2)"),
    ("status", "varchar(16)"),
    ("metered", "boolean"),
    ("meter_no", "varchar(32)"),
    ("phones", "text[]"),
)


def _insert_new_customers(
    new_customers: list[tuple[dict[str, Any], Building]], actor, now: datetime
) -> None:
    """Insert a chunk's new accounts, their premises and phones set-wise: the cleaned rows
    go to the staging table by COPY, and one statement inserts the three tables from it
    (customers first, their ids joined back by account number)."""
    actor_id = actor.pk if actor is not None else None
    with connection.cursor() as cursor:
        columns = ", ".join(f"{name} {kind}" for name, kind in _STAGING_COLUMNS)
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ({columns}) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {_STAGING}")  # nosec B608: a constant name
        names = ", ".join(name for name, _kind in _STAGING_COLUMNS)
        with cursor.cursor.copy(f"COPY {_STAGING} ({names}) FROM STDIN") as copy:  # nosec B608: constant names
            for row, building in new_customers:
                derived = _new_premises(0, building, row)
                copy.write_row(
                    (
                        row["row"],
                        row["account_no"],
                        row["name"],
                        row["customer_type"],
                        row["special_care"],
                        row.get("long_term_since"),
                        building.pk,
                        row["unit_no"],
                        row["room_no"],
                        derived["station_id"],
                        derived["address_text"],
                        row["heated_area"],
                        row["status"],
                        derived["metered"],
                        row["meter_no"],
                        row["phones"],
                    )
                )
        customer = insert_select_defaults(
            Customer,
            {
                "account_no": "s.account_no",
                "name": "s.name",
                "customer_type": "s.customer_type",
                "special_care": "s.special_care",
                "long_term_since": "s.long_term_since",
                "created_by_id": "%(actor)s",
                "created_at": "%(now)s::timestamptz",
                "updated_by_id": "%(actor)s",
                "updated_at": "%(now)s::timestamptz",
            },
        )
        premises = insert_select_defaults(
            Premises,
            {
                "customer_id": "n.id",
                "building_id": "s.building_id",
                "unit_no": "s.unit_no",
                "room_no": "s.room_no",
                "station_id": "s.station_id",
                "address_text": "s.address_text",
                "heated_area": "s.heated_area",
                "status": "s.status",
                "metered": "s.metered",
                "meter_no": "s.meter_no",
            },
        )
        phones = insert_select_defaults(
            CustomerPhone,
            {"customer_id": "n.id", "number": "p.number", "position": "p.ord - 1"},
        )
        cursor.execute(
            f"WITH n AS ({customer.sql} FROM {_STAGING} s ORDER BY s.row "  # nosec B608: names from model metadata and constants
            "RETURNING id, account_no), "
            f"p1 AS ({premises.sql} FROM {_STAGING} s JOIN n USING (account_no) ORDER BY s.row) "
            f"{phones.sql} FROM {_STAGING} s JOIN n USING (account_no), "
            "unnest(s.phones) WITH ORDINALITY AS p(number, ord) ORDER BY s.row, p.ord",
            {**customer.params, **premises.params, **phones.params, "actor": actor_id, "now": now},
        )


def _refresh_statistics() -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            for model in (Customer, Premises, CustomerPhone, Building):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


class _DryRunRollback(Exception):
    pass


def import_customers(
    path: Path | str,
    actor,
    *,
    dry_run: bool = False,
    create_buildings: bool = False,
    progress: Callable[[int, int], None] | None = None,
    chunk_size: int | None = None,
    limits: ImportLimits | None = None,
    resume: Mapping[str, Any] | None = None,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
    keep_alive: Callable[[], None] | None = None,
) -> ImportReport:
    """Import a customer file. Good rows are written, bad rows reported with row and reason.

    Rows are written a chunk at a time, each chunk in one transaction, so a long import
    never holds the database for long and its progress is visible. If the import stops
    (a failure, or a limit found while reading), the chunk being written is rolled back
    and the report says which rows were processed and which were not; importing the file
    again is safe. A dry run does the same work inside one transaction that is rolled
    back, so its report is exact. The access log records the import whatever happens.

    ``checkpoint`` is called inside each chunk's transaction with the state a later run
    resumes from (``resume``): the last row processed and the report so far, so the rows
    of a committed chunk are never written or counted twice. A resumed run reads the rows
    before it again without writing them (an account or premises met again later in the
    file is still reported as "also on row N"). ``keep_alive`` is called while the file
    is read without writing. Either may raise ``ImportInterrupted`` to stop the run.
    """
    path = Path(path)
    limits = limits or ImportLimits.from_settings()
    chunk_size = chunk_size or settings.IMPORT_CHUNK_ROWS
    report = ImportReport(dry_run=dry_run, reasons_per_column=limits.reasons_per_column)
    try:
        rows, total = read_rows(path, report, limits)
    except ImportFileError as exc:
        report.file_errors.append(str(exc))
    else:
        report.total_rows = total
        try:
            _import_rows(
                rows,
                report,
                actor,
                create_buildings,
                progress,
                chunk_size,
                _Resume(resume, checkpoint, keep_alive),
            )
        finally:
            rows.close()  # the file, when the import stopped before its end
    report.rejected.sort(key=lambda e: e.row)
    for error in report.rejected:
        error.column_title = report.column_titles.get(error.column, error.column)
    if actor is not None:
        record_access(
            actor,
            AccessLog.Action.IMPORT,
            detail={
                "file": path.name,
                "dry_run": dry_run,
                "created": report.created,
                "updated": report.updated,
                "rejected_rows": report.rejected_rows,
                "file_errors": len(report.file_errors),
                "not_processed_from_row": report.not_processed_from_row,
            },
        )
    return report


@dataclass
class _Resume:
    state: Mapping[str, Any] | None
    checkpoint: Callable[[dict[str, Any]], None] | None
    keep_alive: Callable[[], None] | None

    @property
    def row(self) -> int:
        """The last row a previous run processed (0: none)."""
        return int(self.state.get("row", 0)) if self.state else 0


def _replay(
    rows: list[dict[str, Any]],
    buildings: "_Buildings",
    seen_accounts: dict[str, int],
    seen_premises: dict[tuple, int],
) -> None:
    """What ``_write_chunk`` remembers of rows an earlier run wrote: the accounts and
    premises they took, found as it found them, without writing."""
    errors = buildings.prepare(rows, None)
    for row in rows:
        if row["account_no"] in seen_accounts or row["row"] in errors:
            continue
        building = buildings.cache.get(row["building_key"])
        if building is None:
            continue
        premises_key = (building.pk, row["unit_no"], row["room_no"])
        if premises_key in seen_premises:
            continue
        seen_accounts[row["account_no"]] = row["row"]
        seen_premises[premises_key] = row["row"]


def _import_rows(
    rows: Iterator[tuple[int, dict[str, str]]],
    report: ImportReport,
    actor,
    create_buildings: bool,
    progress: Callable[[int, int], None] | None,
    chunk_size: int,
    resume: _Resume,
) -> None:
    buildings = _Buildings(create_buildings)
    seen_accounts: dict[str, int] = {}
    seen_premises: dict[tuple, int] = {}
    processed = 0
    next_analyze = 10_000
    chunk: list[dict[str, Any]] = []
    chunk_rejected: list[list[RowError]] = []
    chunk_first_row: int | None = None
    last_row = done_through = 1  # the header
    rows_in_chunk = 0
    if resume.state:
        report.restore_progress(resume.state.get("report", {}))
        processed = int(resume.state.get("processed", 0))
        done_through = last_row = resume.row
    resume_row = resume.row
    if resume.keep_alive:
        resume.keep_alive()

    def flush() -> None:
        nonlocal processed, rows_in_chunk, next_analyze, chunk_first_row, done_through
        outcome = _ChunkOutcome()
        mark = report.progress_state()
        try:
            with transaction.atomic():
                if resume.keep_alive:
                    # First in the chunk's transaction: the job's row stays locked until
                    # the chunk commits, so no other worker claims the job meanwhile.
                    resume.keep_alive()
                if connection.vendor == "postgresql" and not report.dry_run:
                    # The chunk and its checkpoint commit together: a server crash that
                    # loses the last commits loses both, and the job redoes them.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                _write_chunk(chunk, actor, buildings, outcome, seen_accounts, seen_premises)
                for errors in chunk_rejected:
                    report.reject(errors)
                outcome.add_to(report)
                if resume.checkpoint and not report.dry_run:
                    resume.checkpoint(
                        {
                            "row": last_row,
                            "processed": processed + rows_in_chunk,
                            "total": max(report.total_rows, processed + rows_in_chunk),
                            "report": report.progress_state(),
                        }
                    )
        except BaseException:
            report.restore_progress(mark)
            raise
        processed += rows_in_chunk
        done_through = last_row
        rows_in_chunk = 0
        chunk_first_row = None
        chunk.clear()
        chunk_rejected.clear()
        if processed >= next_analyze and not report.dry_run:
            # A first import fills empty tables: without fresh statistics PostgreSQL
            # would keep planning for the empty table (full scans per chunk).
            _refresh_statistics()
            next_analyze *= 2
        if progress:
            progress(processed, max(report.total_rows, processed))

    def run() -> None:
        nonlocal rows_in_chunk, chunk_first_row, last_row
        replayed: list[dict[str, Any]] = []
        for number, values in rows:
            if number <= resume_row:
                cleaned, errors = clean_row(number, values)
                if not errors:
                    replayed.append(cast(dict[str, Any], cleaned))
                if len(replayed) >= chunk_size:
                    _replay(replayed, buildings, seen_accounts, seen_premises)
                    replayed.clear()
                    if resume.keep_alive:
                        resume.keep_alive()
                continue
            if replayed:
                _replay(replayed, buildings, seen_accounts, seen_premises)
                replayed.clear()
            last_row = number
            if chunk_first_row is None:
                chunk_first_row = number
            rows_in_chunk += 1
            cleaned, errors = clean_row(number, values)
            if errors:
                chunk_rejected.append(errors)
            else:
                chunk.append(cast(dict[str, Any], cleaned))  # a row or errors
            if rows_in_chunk >= chunk_size:
                flush()
        flush()

    try:
        if report.dry_run:
            with transaction.atomic():
                run()
                raise _DryRunRollback
        else:
            run()
    except _DryRunRollback:
        pass
    except ImportInterrupted:
        raise
    except Exception as exc:
        if isinstance(exc, ImportFileError):
            error = str(exc)
        else:
            log.exception("customer import stopped")
            error = _("an internal error (%(error)s)") % {"error": str(exc)[:200]}
        first = chunk_first_row if chunk_first_row is not None else done_through + 1
        report.not_processed_from_row = first
        report.file_errors.append(
            _(
                "The import stopped at row %(row)d: %(error)s. Rows before row %(row)d were "
                "processed (imported, or rejected as listed); row %(row)d and every row "
                "after it were not imported. Importing the same file again is safe."
            )
            % {"row": first, "error": error}
        )
    report.total_rows = max(report.total_rows, processed)


# --- export ----------------------------------------------------------------------------

EXPORT_HEADER = (
    "户号",
    "姓名",
    "电话",
    "客户类型",
    "等级",
    "特殊关怀",
    "地址",
    "供热所",
    "供热面积",
    "供热状态",
)


def write_export(customers, stream, exported_ids: list[int] | None = None) -> int:
    """Write customers as .xlsx to ``stream`` (every cell through core.spreadsheets);
    returns the number of rows and appends each customer's id to ``exported_ids``."""

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    append_row(sheet, EXPORT_HEADER)
    count = 0
    for customer in customers.iterator(chunk_size=2000):
        premises = list(customer.premises.all())
        first = premises[0] if premises else None
        append_row(
            sheet,
            [
                customer.account_no,
                customer.name,
                ";".join(p.number for p in customer.phones.all()),
                customer.get_customer_type_display(),
                customer.get_grade_display(),
                customer.get_special_care_display() if customer.special_care else "",
                first.address_text if first else "",
                first.station.name if first and first.station else "",
                float(first.heated_area) if first else None,
                first.get_status_display() if first else "",
            ],
        )
        if exported_ids is not None:
            exported_ids.append(customer.pk)
        count += 1
    workbook.save(stream)
    return count
