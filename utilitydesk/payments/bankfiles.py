"""Bank files (docs/billing.md, "Bank file layouts"): withholding and collection results
become payments, one per bank transaction id; statements become the money lines of the
reconciliation. The layout of each bank's file is data (``BankFileLayout``).

A file with any bad row is refused whole: nothing of it is written, and the report lists
every bad row with its number and reason (a bank file is the bank's record of money moved:
half of it booked would be harder to put right than the corrected file imported again).
Rows imported before (the same transaction id or statement reference) are counted and
skipped, so importing a file twice books it once. Rows the bank did not pay are counted."""

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.billing import ledger
from utilitydesk.billing.models import EntryKind
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.kernel.bulk import RowWriter, reserve_ids

from .models import (
    AmountUnit,
    BankFileImport,
    BankFileLayout,
    BankStatementLine,
    Channel,
    FileFormat,
    ImportStatus,
    LayoutPurpose,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from .services import new_ids, payment_number

CHUNK = 5_000
MAX_ERRORS_KEPT = 1_000
RESULT_FIELDS = ("transaction_id", "account_no", "amount", "date")
STATEMENT_FIELDS = ("date", "amount", "reference")


@dataclass
class Row:
    number: int
    values: dict[str, str]


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    unpaid: int = 0

    def refuse(self, number: int, reason: str) -> None:
        self.errors.append({"row": number, "reason": reason})


def _lines(data: bytes, layout: BankFileLayout) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        line = raw.rstrip(b"\r")
        if number <= layout.header_rows or not line.strip():
            continue
        yield number, line


def _cells(line: bytes, layout: BankFileLayout) -> dict[str, str]:
    """The layout's fields of one line (raises UnicodeDecodeError, IndexError, ValueError)."""
    if layout.file_format == FileFormat.FIXED:
        values = {}
        for name, spec in layout.columns.items():
            start, width = int(spec[0]), int(spec[1])
            if start + width > len(line):
                raise IndexError(name)
            values[name] = line[start : start + width].decode(layout.encoding).strip()
        return values
    text = line.decode(layout.encoding)
    cells = next(csv.reader([text], delimiter=layout.delimiter or ","))
    return {name: cells[int(index)].strip() for name, index in layout.columns.items()}


def _amount(raw: str, layout: BankFileLayout) -> Decimal:
    if layout.amount_unit == AmountUnit.FEN:
        if not raw.lstrip("-").isdigit():
            raise InvalidOperation
        return (Decimal(int(raw)) / 100).quantize(Decimal("0.01"))
    value = Decimal(raw.replace(",", ""))
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise InvalidOperation
    return value.quantize(Decimal("0.01"))


def _day(raw: str, layout: BankFileLayout, seen: dict[str, date]) -> date:
    """The row's date (a file names few days: each text is parsed once)."""
    day = seen.get(raw)
    if day is None:
        day = seen[raw] = datetime.strptime(raw, layout.date_format).date()
    return day


def parse(data: bytes, layout: BankFileLayout) -> Parsed:
    """Every row of the file checked against the layout (no database access)."""
    parsed = Parsed()
    statement = layout.purpose == LayoutPurpose.STATEMENT
    required = STATEMENT_FIELDS if statement else RESULT_FIELDS
    id_field = "reference" if statement else "transaction_id"
    seen: set[str] = set()
    days: dict[str, date] = {}
    for number, line in _lines(data, layout):
        parsed.total += 1
        try:
            cells = _cells(line, layout)
        except UnicodeDecodeError:
            parsed.refuse(number, _("not in the layout's encoding %(e)s") % {"e": layout.encoding})
            continue
        except (IndexError, ValueError):
            parsed.refuse(number, _("fewer columns than the layout names"))
            continue
        missing = [name for name in required if not cells.get(name)]
        if missing:
            parsed.refuse(number, _("empty: %(f)s") % {"f": ", ".join(missing)})
            continue
        try:
            amount = _amount(cells["amount"], layout)
        except (InvalidOperation, ValueError):
            parsed.refuse(number, _("amount %(v)s is not a number") % {"v": cells["amount"][:20]})
            continue
        try:
            day = _day(cells["date"], layout, days)
        except ValueError:
            parsed.refuse(
                number,
                _("date %(v)s is not %(f)s") % {"v": cells["date"][:20], "f": layout.date_format},
            )
            continue
        ident = cells[id_field]
        if len(ident) > 64:
            parsed.refuse(number, _("transaction id longer than 64 characters"))
            continue
        if ident in seen:
            parsed.refuse(
                number, _("transaction id %(v)s appears twice in the file") % {"v": ident}
            )
            continue
        seen.add(ident)
        if statement:
            parsed.rows.append(
                {
                    "row": number,
                    "reference": ident,
                    "amount": amount,
                    "day": day,
                    "description": cells.get("description", "")[:200],
                }
            )
            continue
        if (
            layout.success_values
            and "status" in cells
            and cells["status"] not in layout.success_values
        ):
            parsed.unpaid += 1
            continue
        if amount <= 0:
            parsed.refuse(number, _("the amount must be more than zero"))
            continue
        parsed.rows.append(
            {
                "row": number,
                "id": ident,
                "account_no": cells["account_no"],
                "amount": amount,
                "day": day,
            }
        )
    return parsed


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for begin in range(0, len(items), CHUNK):
        yield items[begin : begin + CHUNK]


def _pairs(sql: str, values: list[str]) -> list[tuple[Any, Any]]:
    """Rows of ``sql`` (one ``= ANY(%s)`` parameter) for many values in one query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, [values])
        return list(cursor.fetchall())


def _accounts(numbers: list[str]) -> dict[str, int]:
    if connection.vendor == "postgresql":
        return dict(
            _pairs(
                "SELECT account_no, id FROM customers_customer WHERE account_no = ANY(%s)",
                numbers,
            )
        )
    found: dict[str, int] = {}
    for chunk in _chunks(numbers):
        found.update(Customer.objects.filter(account_no__in=chunk).values_list("account_no", "pk"))
    return found


def _first_premises(customer_ids: list[int]) -> dict[int, int]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT customer_id, min(id) FROM customers_premises"
                " WHERE customer_id = ANY(%s) GROUP BY customer_id",
                [customer_ids],
            )
            return dict(cursor.fetchall())
    found: dict[int, int] = {}
    for begin in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[begin : begin + CHUNK]
        rows = (
            Premises.objects.filter(customer_id__in=chunk)
            .values("customer_id")
            .annotate(first=Min("pk"))
            .values_list("customer_id", "first")
        )
        found.update(rows)
    return found


def _known_transactions(channel: str, ids: list[str]) -> set[str]:
    if connection.vendor == "postgresql":
        return {
            row[0]
            for row in _pairs(
                "SELECT external_id, 1 FROM payments_payment WHERE kind = 'payment'"
                f" AND channel = '{Channel(channel).value}' AND external_id = ANY(%s)",  # nosec B608: a choice value
                ids,
            )
        }
    done: set[str] = set()
    for chunk in _chunks(ids):
        done.update(
            Payment.objects.filter(
                channel=channel, kind=PaymentKind.PAYMENT, external_id__in=chunk
            ).values_list("external_id", flat=True)
        )
    return done


def _known_references(bank: str, references: list[str]) -> set[str]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reference FROM payments_bankstatementline"
                " WHERE bank = %s AND reference = ANY(%s)",
                [bank, references],
            )
            return {row[0] for row in cursor.fetchall()}
    done: set[str] = set()
    for chunk in _chunks(references):
        done.update(
            BankStatementLine.objects.filter(bank=bank, reference__in=chunk).values_list(
                "reference", flat=True
            )
        )
    return done


def _insert_payments(rows: list[dict[str, Any]]) -> None:
    """Payments given as {attname: value}, numbered from their ids; COPY on PostgreSQL."""
    ids = new_ids(len(rows))
    if connection.vendor == "postgresql":
        with RowWriter(Payment, batch=50_000) as writer:
            for pk, row in zip(ids, rows, strict=True):
                writer.write(id=pk, number=payment_number(pk), **row)
            writer.flush()
        return
    Payment.objects.bulk_create(
        [
            Payment(id=pk, number=payment_number(pk), **row)
            for pk, row in zip(ids, rows, strict=True)
        ],
        batch_size=2_000,
    )


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(0, 0)))


def import_bank_file(
    layout_code: str,
    file_name: str,
    data: bytes,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> BankFileImport:
    """Reads a bank file by its layout: results become payments (and their ledger entries),
    a statement its money lines. Returns the import with its counts and bad rows; a file
    with bad rows is refused whole (``status`` refused, nothing else written)."""
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("payments.import_bank_file"):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        # One import per bank at a time: a file imported twice at once books once.
        layout = BankFileLayout.objects.select_for_update().filter(code=layout_code).first()
        if layout is None or not layout.active:
            raise ValidationError({"bank": [_("No such bank file layout.")]})
        parsed = parse(data, layout)
        record = BankFileImport(
            layout=layout,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            total_rows=parsed.total,
            unpaid_rows=parsed.unpaid,
            imported_by=actor,
            imported_at=now,
        )
        if layout.purpose == LayoutPurpose.STATEMENT:
            return _import_statement(layout, record, parsed)
        return _import_results(layout, record, parsed, actor=actor, now=now)


def _refused(record: BankFileImport, parsed: Parsed) -> BankFileImport:
    record.status = ImportStatus.REFUSED
    record.rejected_rows = len(parsed.errors)
    record.errors = sorted(parsed.errors, key=lambda e: e["row"])[:MAX_ERRORS_KEPT]
    record.save()
    return record


def _import_results(
    layout: BankFileLayout,
    record: BankFileImport,
    parsed: Parsed,
    *,
    actor: Actor | None,
    now: datetime,
) -> BankFileImport:
    channel = layout.channel
    accounts = _accounts(sorted({row["account_no"] for row in parsed.rows}))
    for row in parsed.rows:
        if row["account_no"] not in accounts:
            parsed.refuse(
                row["row"],
                _("no customer with account number %(a)s") % {"a": row["account_no"][:32]},
            )
    if parsed.errors:
        return _refused(record, parsed)
    done = _known_transactions(channel, [row["id"] for row in parsed.rows])
    new_rows = [row for row in parsed.rows if row["id"] not in done]
    premises = _first_premises(sorted({accounts[row["account_no"]] for row in new_rows}))
    record.status = ImportStatus.IMPORTED
    record.duplicate_rows = len(parsed.rows) - len(new_rows)
    record.imported_rows = len(new_rows)
    record.imported_amount = sum((row["amount"] for row in new_rows), Decimal("0.00"))
    record.save()
    payments: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    note = f"{layout.code} {record.file_name}"[:200]
    for row in new_rows:
        customer_id = accounts[row["account_no"]]
        premises_id = premises.get(customer_id)
        received = _midnight(row["day"])
        reference = f"payment:{channel}:{row['id']}"
        payments.append(
            {
                "kind": PaymentKind.PAYMENT.value,
                "customer_id": customer_id,
                "premises_id": premises_id,
                "channel": channel,
                "amount": row["amount"],
                "received_at": received,
                "external_id": row["id"],
                "bank_import_id": record.pk,
                "ledger_reference": reference,
                "created_at": now,
                "status": PaymentStatus.RECEIVED.value,
            }
        )
        entries.append(
            {
                "customer_id": customer_id,
                "premises_id": premises_id,
                "kind": EntryKind.PAYMENT.value,
                "amount": -row["amount"],
                "reference": reference,
                "booked_at": received,
                "note": note,
                "created_by_id": actor.pk if actor is not None else None,
            }
        )
    if payments:
        _insert_payments(payments)
        ledger.post_new_entries(entries)
    return record


def _import_statement(
    layout: BankFileLayout, record: BankFileImport, parsed: Parsed
) -> BankFileImport:
    if parsed.errors:
        return _refused(record, parsed)
    done = _known_references(layout.bank, [row["reference"] for row in parsed.rows])
    new_rows = [row for row in parsed.rows if row["reference"] not in done]
    record.status = ImportStatus.IMPORTED
    record.duplicate_rows = len(parsed.rows) - len(new_rows)
    record.imported_rows = len(new_rows)
    record.imported_amount = sum((row["amount"] for row in new_rows), Decimal("0.00"))
    record.save()
    lines = [
        {
            "bank": layout.bank,
            "booked_on": row["day"],
            "amount": row["amount"],
            "reference": row["reference"],
            "description": row["description"],
            "bank_import_id": record.pk,
        }
        for row in new_rows
    ]
    if connection.vendor == "postgresql":
        with RowWriter(BankStatementLine, batch=50_000) as writer:
            for pk, line in zip(reserve_ids(BankStatementLine, len(lines)), lines, strict=True):
                writer.write(id=pk, **line)
            writer.flush()
    else:
        BankStatementLine.objects.bulk_create(
            [BankStatementLine(**line) for line in lines], batch_size=2_000
        )
    return record
