"""How the rows behind a figure are listed, on the drill-down page and in the API: the
columns of each kind of row, the related rows read with them, and the order. No
customer's personal data is shown (numbers, units, times and outcomes only)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from utilitydesk.accounts.names import display_name

from .definitions import ListKind


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise
    value: Callable[[Any], object]


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _person(user: Any) -> str:
    return "" if user is None else display_name(user)


def _unit(unit: Any) -> str:
    return unit.name if unit is not None else ""


def _yes(value: bool | None) -> str:
    if value is None:
        return ""
    return str(_("yes") if value else _("no"))


def case_url(kind: ListKind, row: Any) -> str | None:
    """The case page a row belongs to, if any."""
    if kind == ListKind.CASE:
        number = row.number
    elif kind in (ListKind.CALLBACK, ListKind.COMPLAINT, ListKind.CONTACT) and row.case_id:
        number = row.case.number
    else:
        return None
    return reverse("cases:detail", args=[number])


COLUMNS: dict[ListKind, list[Column]] = {
    ListKind.CASE: [
        Column("number", _("Case"), lambda r: r.number),
        Column("kind", _("Kind"), lambda r: r.get_kind_display()),
        Column("status", _("Status"), lambda r: r.get_status_display()),
        Column("unit", _("Responsible unit"), lambda r: _unit(r.responsible_unit)),
        Column("assignee", _("Technician"), lambda r: _person(r.assignee)),
        Column("received_at", _("Received"), lambda r: _when(r.received_at)),
        Column("resolved_at", _("Resolved"), lambda r: _when(r.resolved_at)),
    ],
    ListKind.CALLBACK: [
        Column("case", _("Case"), lambda r: r.case.number if r.case else ""),
        Column(
            "unit",
            _("Responsible unit"),
            lambda r: _unit(r.case.responsible_unit) if r.case else "",
        ),
        Column("caller", _("Caller"), lambda r: _person(r.caller)),
        Column("due_at", _("Due"), lambda r: _when(r.due_at)),
        Column("status", _("Status"), lambda r: r.get_status_display()),
        Column("outcome", _("Outcome"), lambda r: r.get_outcome_display()),
    ],
    ListKind.COMPLAINT: [
        Column("case", _("Case"), lambda r: r.case.number),
        Column("category", _("Category"), lambda r: r.get_category_display()),
        Column("responsibility", _("Responsibility"), lambda r: r.get_responsibility_display()),
        Column("unit", _("Unit held responsible"), lambda r: _unit(r.responsible_unit)),
        Column("received_at", _("Received"), lambda r: _when(r.case.received_at)),
    ],
    ListKind.CONTACT: [
        Column("received_at", _("Received"), lambda r: _when(r.received_at)),
        Column("channel", _("Channel"), lambda r: r.get_channel_display()),
        Column("kind", _("Kind"), lambda r: r.get_kind_display()),
        Column("first_responder", _("First responder"), lambda r: _person(r.first_responder)),
        Column("closed_on_spot", _("Answered on the spot"), lambda r: _yes(r.closed_on_spot)),
        Column("case", _("Case"), lambda r: r.case.number if r.case else ""),
    ],
    ListKind.ENTRY_ERROR: [
        Column("noted_at", _("Noted"), lambda r: _when(r.noted_at)),
        Column("clerk", _("Clerk"), lambda r: _person(r.clerk)),
        Column("kind", _("Kind"), lambda r: r.get_kind_display()),
        Column("field", _("Field"), lambda r: r.field),
    ],
    ListKind.CHANGE: [
        Column("at", _("Changed at"), lambda r: _when(r.at)),
        Column("actor", _("Changed by"), lambda r: _person(r.actor)),
        Column("record", _("Record"), lambda r: f"{r.content_type.model} #{r.object_id}"),
        Column("field", _("Field"), lambda r: r.field),
    ],
    ListKind.MEASUREMENT: [
        Column("number", _("Record"), lambda r: r.number),
        Column("station", _("Station"), lambda r: _unit(r.station)),
        Column("technician", _("Technician"), lambda r: _person(r.technician)),
        Column("measured_at", _("Measured"), lambda r: _when(r.measured_at)),
        Column("home_celsius", _("Home (°C)"), lambda r: str(r.home_celsius)),
        Column("passed", _("Passed"), lambda r: _yes(r.passed)),
    ],
    ListKind.INTERRUPTION: [
        Column("number", _("Interruption"), lambda r: r.number),
        Column("title", _("Title"), lambda r: r.title),
        Column("station", _("Station"), lambda r: _unit(r.station)),
        Column("planned", _("Planned"), lambda r: _yes(r.planned)),
        Column("start_at", _("Start"), lambda r: _when(r.start_at)),
        Column("notices_sent_at", _("Notices queued"), lambda r: _when(r.notices_sent_at)),
        Column("state", _("State"), lambda r: r.get_state_display()),
    ],
}

_RELATED: dict[ListKind, list[str]] = {
    ListKind.CASE: ["responsible_unit", "assignee"],
    ListKind.CALLBACK: ["case__responsible_unit", "caller"],
    ListKind.COMPLAINT: ["case", "responsible_unit"],
    ListKind.CONTACT: ["first_responder", "case"],
    ListKind.ENTRY_ERROR: ["clerk"],
    ListKind.CHANGE: ["actor", "content_type"],
    ListKind.MEASUREMENT: ["station", "technician"],
    ListKind.INTERRUPTION: ["station"],
}

_ORDER: dict[ListKind, list[str]] = {
    ListKind.CASE: ["-received_at", "-pk"],
    ListKind.CALLBACK: ["-due_at", "-pk"],
    ListKind.COMPLAINT: ["-case__received_at", "-pk"],
    ListKind.CONTACT: ["-received_at", "-pk"],
    ListKind.ENTRY_ERROR: ["-noted_at", "-pk"],
    ListKind.CHANGE: ["-at", "-pk"],
    ListKind.MEASUREMENT: ["-measured_at", "-pk"],
    ListKind.INTERRUPTION: ["-start_at", "-pk"],
}


def for_listing(kind: ListKind, rows: QuerySet[models.Model]) -> QuerySet[models.Model]:
    return rows.select_related(*_RELATED[kind]).order_by(*_ORDER[kind])


def as_cells(kind: ListKind, row: Any) -> list[str]:
    return [str(column.value(row)) for column in COLUMNS[kind]]


def as_dict(kind: ListKind, row: Any) -> dict[str, str]:
    return {"id": str(row.pk)} | {column.key: str(column.value(row)) for column in COLUMNS[kind]}
