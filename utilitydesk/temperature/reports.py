"""The season's temperature report as a workbook (R-707): the pass rate per station and per
substation, the spread of home temperatures, and the failed homes still waiting for their
re-measurement. Every cell goes through kernel.spreadsheets (text never runs as a
formula) and every customer named is written to the access log as an export."""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.privacy.access import record_export

from . import method, selectors

PERMISSION = "temperature.view_temperature_report"
FAILED_BATCH = 500


def _local(value: datetime | None) -> str:
    return value.astimezone(method.LOCAL).strftime("%Y-%m-%d %H:%M") if value else ""


def _rate_sheet(workbook: Any, title: str, unit_label: str, rows: list[Any]) -> None:
    sheet = workbook.create_sheet(title)
    append_row(sheet, [unit_label, _("Measured"), _("Passed"), _("Pass rate (%)")])
    for row in rows:
        append_row(sheet, [row.unit_name or _("(none)"), row.measured, row.passed, row.rate])
    total = selectors.total_row(rows)
    append_row(sheet, [_("Total"), total.measured, total.passed, total.rate])


def write_workbook(actor: AnyUser, season: int, stream: Any, *, now: datetime | None = None) -> int:
    """Write the report of ``season`` as the actor may read it to ``stream``; returns the
    number of failed homes listed."""
    if not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("You are not allowed to read the temperature reports."))
    now = now or timezone.now()
    workbook = Workbook(write_only=True)
    _rate_sheet(
        workbook,
        _("Pass rate by station"),
        _("Station"),
        selectors.season_pass_rates(actor, season, selectors.BY_STATION),
    )
    _rate_sheet(
        workbook,
        _("Pass rate by substation"),
        _("Substation"),
        selectors.season_pass_rates(actor, season, selectors.BY_SUBSTATION),
    )
    sheet = workbook.create_sheet(_("Home temperatures"))
    append_row(sheet, [_("From (°C)"), _("Below (°C)"), _("Homes measured"), _("Passed")])
    for band in selectors.reading_distribution(actor, season):
        append_row(sheet, [band.low, band.high, band.count, band.passed])
    sheet = workbook.create_sheet(_("Failed, not re-measured"))
    append_row(
        sheet,
        [
            _("Record number"),
            _("Measured at"),
            _("Home (°C)"),
            _("Target (°C)"),
            _("Days waiting"),
            _("Station"),
            _("Account number"),
            _("Customer"),
            _("Address"),
            _("Phone"),
            _("Adjustment case"),
            _("Adjustment status"),
            _("Re-measurement case"),
            _("Re-measurement status"),
        ],
    )
    customers: list[int] = []
    batch = []
    found = selectors.failed_not_remeasured(actor, season)
    for measurement in found.iterator(chunk_size=FAILED_BATCH):
        batch.append(measurement)
        if len(batch) == FAILED_BATCH:
            customers += _failed_rows(sheet, actor, batch, now)
            batch = []
    customers += _failed_rows(sheet, actor, batch, now)
    workbook.save(stream)
    record_export(
        actor,
        customers,
        detail={"list": "temperature_report", "season": season, "rows": len(customers)},
    )
    return len(customers)


def _failed_rows(sheet: Any, actor: AnyUser, batch: list[Any], now: datetime) -> list[int]:
    shown = []
    for row in selectors.failed_home_rows(actor, batch, now=now):
        m = row.measurement
        customer = m.premises.customer
        append_row(
            sheet,
            [
                m.number,
                _local(m.measured_at),
                m.home_celsius,
                m.target_celsius,
                row.days_waiting,
                m.station.name if m.station else "",
                customer.account_no,
                customer.name,
                m.premises.address_text,
                row.phone,
                row.adjustment.number if row.adjustment else "",
                row.adjustment.status_label if row.adjustment else "",
                row.remeasurement.number if row.remeasurement else "",
                row.remeasurement.status_label if row.remeasurement else "",
            ],
        )
        shown.append(customer.pk)
    return shown
