"""R-807: the premises of interruptions long enough for a fee reduction, with the days,
exported as .xlsx for billing (every cell through kernel.spreadsheets, every customer in
the access log)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.privacy.access import record_export

from .models import AffectedPremises

EXPORT_PERMISSION = "outages.export_reductions"
EXPORT_MAX_ROWS = 200_000


class ExportTooLarge(Exception):
    pass


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_reductions(
    actor: Any, rows: QuerySet[AffectedPremises], stream: Any, detail: dict[str, Any] | None = None
) -> int:
    """Write the rows (already limited to what the actor may see) to ``stream``."""
    if not actor.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied(_("You are not allowed to export fee-reduction lists."))
    total = rows.count()
    if total > EXPORT_MAX_ROWS:
        raise ExportTooLarge(
            _(
                "The list has %(n)d rows; at most %(max)d are exported at once. Export one interruption at a time."
            )
            % {"n": total, "max": EXPORT_MAX_ROWS}
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Fee reductions"))
    append_row(
        sheet,
        [
            _("Interruption"),
            _("Title"),
            _("Start"),
            _("Restored"),
            _("Days of reduction"),
            _("Account number"),
            _("Customer"),
            _("Address"),
            _("Heated area (m²)"),
        ],
    )
    customers: list[int] = []
    count = 0
    for row in rows.iterator(chunk_size=2000):
        interruption = row.interruption
        append_row(
            sheet,
            [
                interruption.number,
                interruption.title,
                _local(interruption.started_at or interruption.start_at),
                _local(interruption.actual_restoration_at),
                row.reduction_days,
                row.customer.account_no,
                row.customer.name,
                row.premises.address_text,
                row.premises.heated_area,
            ],
        )
        customers.append(row.customer_id)
        count += 1
    workbook.save(stream)
    record_export(actor, customers, detail={**(detail or {}), "rows": count, "list": "reductions"})
    return count
