"""The dispatcher's filtered case list as .xlsx: every cell through core.spreadsheets,
phone numbers as the person may see them, every customer exported in the access log."""

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from utilitydesk.accounts.names import display_name
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.privacy.access import record_export

from .selectors import caller_phone_for

# A list longer than this is refused: narrow the filters (dates, unit) and export again.
EXPORT_MAX_ROWS = 20000


class ExportTooLarge(Exception):
    pass


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def export_cases(actor, cases, stream, detail: dict | None = None) -> int:
    """Write ``cases`` (a list the actor may see, filtered) to ``stream``; returns the
    number of rows."""

    if not actor.has_perm("cases.export_case"):
        raise PermissionDenied(_("You are not allowed to export case lists."))
    total = cases.count()
    if total > EXPORT_MAX_ROWS:
        raise ExportTooLarge(
            _(
                "The list has %(n)d cases; at most %(max)d are exported at once. Narrow the filters (received dates, unit) and export again."
            )
            % {"n": total, "max": EXPORT_MAX_ROWS}
        )
    now = timezone.now()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cases"))
    append_row(
        sheet,
        [
            _("Number"),
            _("Kind"),
            _("Channel"),
            _("Received"),
            _("Contact person"),
            _("Phone"),
            _("Address"),
            _("Problem description"),
            _("Responsible unit"),
            _("Technician"),
            _("Status"),
            _("Emergency"),
            _("Next deadline"),
            _("Overdue"),
        ],
    )
    customers: list[int] = []
    count = 0
    for case in cases.iterator(chunk_size=2000):
        due = getattr(case, "next_due", None)
        assignee = case.assignee
        append_row(
            sheet,
            [
                case.number,
                case.get_kind_display(),
                case.get_channel_display(),
                _local(case.received_at),
                case.caller_name,
                caller_phone_for(actor, case),
                case.address_text,
                case.content,
                case.responsible_unit.name if case.responsible_unit else "",
                display_name(assignee) if assignee else "",
                case.get_status_display(),
                _("Yes") if case.emergency else "",
                _local(due),
                _("Yes") if due and due <= now else "",
            ],
        )
        if case.customer_id:
            customers.append(case.customer_id)
        count += 1
    workbook.save(stream)
    record_export(actor, customers, detail={**(detail or {}), "rows": count})
    return count
