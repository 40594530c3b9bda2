"""Reading a year's official schedule from a file an administrator loads (CSV or JSON).

CSV: a header `date,kind,name`, one exception day a line: `2027-01-01,holiday,元旦` or
`2027-02-07,workday,春节调休`. kind also accepts 休/假 and 班/调休. JSON:
`{"years": [2027], "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}`."""

import csv
import io
import json
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KIND_WORDS = {
    "holiday": "holiday",
    "休": "holiday",
    "假": "holiday",
    "假期": "holiday",
    "workday": "workday",
    "班": "workday",
    "调休": "workday",
    "上班": "workday",
}


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), or GB18030 as Excel on a Chinese PC saves CSV."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8)."))


def read_calendar_file(
    content: bytes, filename: str
) -> tuple[list[tuple[date, str, str]], set[int]]:
    text = _decode(content)
    rows: list[tuple[date, str, str]] = []
    errors: list[str] = []
    declared: set[int] = set()
    if Path(filename).suffix.lower() == ".json":
        try:
            data = json.loads(text)
            declared = {int(y) for y in data.get("years", [])}
            entries = [
                (i + 1, d.get("date", ""), d.get("kind", ""), d.get("name", ""))
                for i, d in enumerate(data["days"])
            ]
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
            raise ValidationError(_("The JSON file does not have the expected shape.")) from None
    else:
        reader = csv.DictReader(io.StringIO(text))
        if (
            not reader.fieldnames
            or "date" not in reader.fieldnames
            or "kind" not in reader.fieldnames
        ):
            raise ValidationError(_("The CSV file needs the columns date, kind and name."))
        entries = [
            (i + 2, r.get("date", ""), r.get("kind", ""), r.get("name", ""))
            for i, r in enumerate(reader)
        ]
    for line, raw_date, raw_kind, name in entries:
        try:
            day = date.fromisoformat(str(raw_date).strip())
        except ValueError:
            errors.append(
                _("Line %(n)d: “%(value)s” is not a date (YYYY-MM-DD).")
                % {"n": line, "value": raw_date}
            )
            continue
        kind = KIND_WORDS.get(str(raw_kind).strip().lower())
        if kind is None:
            errors.append(_("Line %(n)d: kind must be holiday or workday.") % {"n": line})
            continue
        rows.append((day, kind, str(name or "").strip()))
    if errors:
        raise ValidationError(errors)
    years = declared or {d.year for d, _k, _n in rows}
    return rows, years
