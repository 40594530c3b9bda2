"""Bank files by their layout (data): results become payments once per bank transaction,
a file with bad rows is refused whole with each row's number and reason, a statement
becomes money lines; importing a file again books nothing twice."""

from decimal import Decimal

import pytest

from utilitydesk.billing import ledger
from utilitydesk.billing.models import LedgerEntry
from utilitydesk.payments import bankfiles
from utilitydesk.payments.models import (
    BankStatementLine,
    Channel,
    ImportStatus,
    Payment,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal


def icbc_results(customers) -> bytes:
    east, west = customers["east"].account_no, customers["west"].account_no
    text = (
        "流水号,户号,户名,金额,日期,状态\r\n"
        f"T0001,{east},李雷,1000.00,20261202,成功\r\n"
        f"T0002,{west},韩梅梅,230.20,20261202,成功\r\n"
        f"T0003,{west},韩梅梅,99.00,20261202,余额不足\r\n"
    )
    return text.encode("gbk")


def test_withholding_results_become_payments_once(clerk, customers):
    data = icbc_results(customers)
    record = bankfiles.import_bank_file("ICBC-WH", "icbc.csv", data, actor=clerk, now=NOW)
    assert record.status == ImportStatus.IMPORTED
    assert (record.total_rows, record.imported_rows, record.unpaid_rows) == (3, 2, 1)
    assert record.imported_amount == D("1230.20")
    assert ledger.balance_of(customers["east"].pk) == D("-1000.00")
    assert ledger.balance_of(customers["west"].pk) == D("-230.20")
    payment = Payment.objects.get(external_id="T0001")
    assert payment.channel == Channel.BANK_WITHHOLDING and payment.number.startswith("P")
    again = bankfiles.import_bank_file("ICBC-WH", "icbc.csv", data, actor=clerk, now=NOW)
    assert (again.imported_rows, again.duplicate_rows) == (0, 2)
    assert Payment.objects.count() == 2 and LedgerEntry.objects.count() == 2


def test_a_file_with_bad_rows_is_refused_whole(clerk, customers):
    east = customers["east"].account_no
    text = (
        "流水号,户号,户名,金额,日期,状态\n"
        f"T1,{east},李雷,100.00,20261202,成功\n"
        f"T2,{east},李雷,abc,20261202,成功\n"
        f"T3,NOBODY,某人,10.00,20261202,成功\n"
        f"T4,{east},李雷,10.00,2026-13-01,成功\n"
        f"T1,{east},李雷,10.00,20261202,成功\n"
        "T6,short\n"
    )
    record = bankfiles.import_bank_file(
        "ICBC-WH", "bad.csv", text.encode("gbk"), actor=clerk, now=NOW
    )
    assert record.status == ImportStatus.REFUSED
    rows = {e["row"]: e["reason"] for e in record.errors}
    assert sorted(rows) == [3, 4, 5, 6, 7]
    assert "abc" in rows[3] and "NOBODY" in rows[4] and "T1" in rows[6]
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()


def test_ccb_collection_fixed_width_in_fen(clerk, customers):
    account = customers["east"].account_no
    lines = [
        f"{'C202612020001':<20}{account:<16}{'000000123456'}{'20261202'}1",
        f"{'C202612020002':<20}{account:<16}{'000000000100'}{'20261202'}0",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("gbk")
    record = bankfiles.import_bank_file("CCB-COL", "ccb.txt", data, actor=clerk, now=NOW)
    assert record.status == ImportStatus.IMPORTED, record.errors
    assert (record.imported_rows, record.unpaid_rows) == (1, 1)
    payment = Payment.objects.get()
    assert payment.amount == D("1234.56") and payment.channel == Channel.BANK_COLLECTION


def test_a_statement_becomes_money_lines_once(clerk):
    text = "日期,流水号,金额,摘要\n2026-12-02,T0001,1000.00,代扣\n2026-12-02,DEP-1202,500.00,现金存入\n"
    data = text.encode("gbk")
    record = bankfiles.import_bank_file("ICBC-STMT", "stmt.csv", data, actor=clerk, now=NOW)
    assert record.imported_rows == 2 and record.imported_amount == D("1500.00")
    bankfiles.import_bank_file("ICBC-STMT", "stmt.csv", data, actor=clerk, now=NOW)
    assert BankStatementLine.objects.count() == 2


def test_apps_above_billing_hear_of_every_imported_payment(clerk, customers):
    from utilitydesk.billing import ledger as ledger_module

    batches, singles = [], []
    ledger_module.react_to_entry_batches(batches.append)
    ledger_module.react_to_entries(singles.append)
    try:
        bankfiles.import_bank_file(
            "ICBC-WH", "icbc.csv", icbc_results(customers), actor=clerk, now=NOW
        )
    finally:
        ledger_module._BATCH_REACTIONS.remove(batches.append)
        ledger_module._REACTIONS.remove(singles.append)
    assert [len(batch) for batch in batches] == [2]
    assert sorted(e.amount for e in singles) == [D("-1000.00"), D("-230.20")]
    assert all(e.pk for e in batches[0])
