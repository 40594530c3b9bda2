"""Heat meter readings imported from the meter-reading system's CSV (docs/billing.md):
one row per reading, the premises by its account number or its meter number, the day read
and the meter's cumulative GJ. A reading is stored once per premises and day (the
`billing_meter_day` constraint): importing the same file again changes nothing, a
corrected value replaces the day's reading. Bad rows are reported with their row number
and nothing of them is stored."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers.models import Premises, SupplyStatus

from .models import MeterReading

MAX_ROWS = 500_000
HEADERS = {
    "account": {"account", "account_no", "户号", "用户编号", "账号"},
    "meter": {"meter", "meter_no", "表号", "热表号", "热量表号"},
    "date": {"date", "read_on", "抄表日期", "日期"},
    "gj": {"gj", "total_gj", "累计热量", "累计热量(gj)", "累计热量（gj）", "读数"},
}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[dict[str, str | int]] = field(default_factory=list)
    file_error: str = ""


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("The file is not UTF-8 or GB18030 text.")]})


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = title.strip().lower().replace(" ", "")
        for name, titles in HEADERS.items():
            if key in titles and name not in found:
                found[name] = index
    return found


def _day(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _gj(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= Decimal("10000000000"):
        return None
    return value.quantize(Decimal("0.01"))


def import_readings(
    raw: bytes, *, actor: Actor, source: str = "", now: datetime | None = None
) -> ImportReport:
    """Read the CSV and store its good rows; returns the report (bad rows with reasons)."""
    if not actor.has_perm("billing.add_meterreading"):
        raise PermissionDenied(_("You are not allowed to import meter readings."))
    report = ImportReport()
    rows = list(csv.reader(io.StringIO(_decode(raw))))
    if not rows:
        report.file_error = _("The file is empty.")
        return report
    columns = _columns(rows[0])
    if "date" not in columns or "gj" not in columns or not ({"account", "meter"} & set(columns)):
        report.file_error = _(
            "The first row names the columns: account number or meter number, date, cumulative GJ."
        )
        return report
    body = rows[1:]
    if len(body) > MAX_ROWS:
        report.file_error = _("At most %(n)s rows per file.") % {"n": f"{MAX_ROWS:,}"}
        return report

    def cell(row: list[str], name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    accounts = {cell(r, "account") for r in body} - {""}
    meters = {cell(r, "meter") for r in body} - {""}
    by_account: dict[str, list[tuple[int, bool]]] = {}
    by_meter: dict[str, list[int]] = {}
    for pk, account, metered in (
        Premises.objects.exclude(status=SupplyStatus.CLOSED)
        .filter(customer__account_no__in=accounts)
        .values_list("pk", "customer__account_no", "metered")
    ):
        by_account.setdefault(account, []).append((pk, metered))
    for pk, meter_no in (
        Premises.objects.exclude(status=SupplyStatus.CLOSED)
        .filter(meter_no__in=meters)
        .values_list("pk", "meter_no")
    ):
        by_meter.setdefault(meter_no, []).append(pk)

    wanted: dict[tuple[int, date], tuple[Decimal, int]] = {}
    for number, row in enumerate(body, start=2):
        if not any(value.strip() for value in row):
            continue
        report.rows += 1

        def reject(value: str, reason: str, number: int = number) -> None:
            report.rejected.append({"row": number, "value": value[:60], "reason": reason})

        account, meter = cell(row, "account"), cell(row, "meter")
        premises_id: int | None = None
        if meter:
            found = by_meter.get(meter, [])
            if len(found) != 1:
                reject(
                    meter,
                    _("Unknown meter number.") if not found else _("Meter number used twice."),
                )
                continue
            premises_id = found[0]
        elif account:
            places = by_account.get(account, [])
            metered_ids = [pk for pk, is_metered in places if is_metered]
            if not places:
                reject(account, _("Unknown account number."))
                continue
            if len(places) > 1 and len(metered_ids) != 1:
                reject(account, _("The account has several premises: give the meter number."))
                continue
            premises_id = metered_ids[0] if len(places) > 1 else places[0][0]
        else:
            reject("", _("Give the account number or the meter number."))
            continue
        day = _day(cell(row, "date"))
        if day is None:
            reject(cell(row, "date"), _("The date is YYYY-MM-DD."))
            continue
        value = _gj(cell(row, "gj"))
        if value is None:
            reject(cell(row, "gj"), _("The reading is a number of GJ, not negative."))
            continue
        if (premises_id, day) in wanted:
            reject(
                cell(row, "date"),
                _("The same premises and day as row %(row)s.")
                % {"row": wanted[(premises_id, day)][1]},
            )
            continue
        wanted[(premises_id, day)] = (value, number)

    with transaction.atomic():
        existing = {
            (premises_id, read_on): total
            for premises_id, read_on, total in MeterReading.objects.filter(
                premises_id__in={p for p, _d in wanted}, read_on__in={d for _p, d in wanted}
            ).values_list("premises_id", "read_on", "total_gj")
        }
        readings = []
        for (premises_id, day), (value, _row) in wanted.items():
            before = existing.get((premises_id, day))
            if before is None:
                report.created += 1
            elif before == value:
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            readings.append(
                MeterReading(
                    premises_id=premises_id, read_on=day, total_gj=value, source=source[:60]
                )
            )
        MeterReading.objects.bulk_create(
            readings,
            batch_size=5_000,
            update_conflicts=True,
            unique_fields=["premises", "read_on"],
            update_fields=["total_gj", "source"],
        )
    return report
