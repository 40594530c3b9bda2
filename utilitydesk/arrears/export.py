"""The arrears list as .xlsx (every cell through kernel.spreadsheets, every customer in the
access log as an export)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.privacy.access import record_export

from .models import ArrearsRecord
from .selectors import EXPORT_PERMISSION

EXPORT_MAX_ROWS = 200_000


class ExportTooLarge(Exception):
    pass


def export_arrears(
    actor: Any,
    rows: QuerySet[ArrearsRecord],
    stream: Any,
    *,
    ip_address: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Write ``rows`` (already limited to what the actor may see and filtered) to ``stream``."""
    if not actor.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied(_("You are not allowed to export arrears lists."))
    count = rows.count()
    if count > EXPORT_MAX_ROWS:
        raise ExportTooLarge(
            _("The list has %(n)d rows; at most %(max)d are exported at once. Filter it first.")
            % {"n": count, "max": EXPORT_MAX_ROWS}
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Arrears"))
    append_row(
        sheet,
        [
            _("Account number"),
            _("Customer"),
            _("Address"),
            _("Heating station"),
            _("Customer type"),
            _("Heating season"),
            _("Due on"),
            _("Overdue amount"),
            _("Balance"),
            _("Step reached"),
            _("Supply"),
        ],
    )
    customers: list[int] = []
    for record in rows.select_related("customer", "premises", "station").iterator(chunk_size=2000):
        append_row(
            sheet,
            [
                record.customer.account_no,
                record.customer.name,
                record.premises.address_text,
                record.station.name if record.station else "",
                record.get_customer_type_display(),
                record.season,
                record.due_on,
                record.overdue_amount,
                record.balance,
                record.get_step_display() if record.step else "",
                record.get_supply_display(),
            ],
        )
        customers.append(record.customer_id)
    workbook.save(stream)
    record_export(
        actor, customers, ip_address=ip_address, detail={"list": "arrears", **(detail or {})}
    )
    return len(customers)
