"""三方一致: receipts, money and ledger of a day agree, or each mismatch is an issue a
clerk resolves with a note; running again does not repeat an issue."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from utilitydesk.billing.models import LedgerEntry
from utilitydesk.payments import bankfiles, reconciliation, services
from utilitydesk.payments.models import IssueKind, IssueStatus, ReconciliationIssue

from .conftest import NOW

pytestmark = pytest.mark.django_db
D = Decimal
DAY = date(2026, 12, 3)


def _statement(clerk, *rows):
    text = "日期,流水号,金额,摘要\n" + "".join(f"2026-12-03,{r},{a},x\n" for r, a in rows)
    bankfiles.import_bank_file("ICBC-STMT", "s.csv", text.encode("gbk"), actor=clerk, now=NOW)


def _results(clerk, customers, *rows):
    account = customers["east"].account_no
    text = "h\n" + "".join(f"{t},{account},李雷,{a},20261203,成功\n" for t, a in rows)
    bankfiles.import_bank_file("ICBC-WH", "r.csv", text.encode("gbk"), actor=clerk, now=NOW)


def test_a_day_that_agrees_has_no_issues(clerk, customers):
    services.take_counter_payment(customers["east"].pk, "300", actor=clerk, now=NOW)
    services.take_counter_payment(customers["west"].pk, "200", actor=clerk, now=NOW)
    _results(clerk, customers, ("T1", "1000.00"))
    _statement(clerk, ("T1", "1000.00"), ("CASH-1203", "500.00"))
    run = reconciliation.reconcile(DAY, actor=clerk, now=NOW)
    assert run.issues_found == 0
    assert run.receipts_total == run.money_total == run.ledger_total == D("1500.00")


def test_every_mismatch_is_listed_once_and_resolved_with_a_note(clerk, customers):
    counter = services.take_counter_payment(customers["east"].pk, "300", actor=clerk, now=NOW)
    _results(clerk, customers, ("T1", "1000.00"), ("T2", "50.00"), ("T3", "70.00"))
    # T1 paid in full, T2 with another amount, T3 missing, T9 unknown to us; no counter cash.
    _statement(clerk, ("T1", "1000.00"), ("T2", "40.00"), ("T9", "10.00"))
    LedgerEntry.objects.filter(reference=counter.ledger_reference).delete()
    run = reconciliation.reconcile(DAY, actor=clerk, now=NOW)
    kinds = sorted(ReconciliationIssue.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [IssueKind.NO_LEDGER_ENTRY, IssueKind.MONEY_AMOUNT, IssueKind.NO_MONEY, IssueKind.TOTALS]
    )
    assert run.issues_found == 4
    totals = ReconciliationIssue.objects.get(kind=IssueKind.TOTALS)
    # Counter takings 300.00, statement money matched to no transaction 10.00 (T9).
    assert (totals.receipt_amount, totals.money_amount) == (D("300.00"), D("10.00"))
    reconciliation.reconcile(DAY, actor=clerk, now=NOW)
    assert ReconciliationIssue.objects.count() == 4
    issue = ReconciliationIssue.objects.get(kind=IssueKind.NO_MONEY)
    with pytest.raises(ValidationError):
        reconciliation.resolve_issue(issue.pk, "", actor=clerk, now=NOW)
    done = reconciliation.resolve_issue(issue.pk, "银行次日到账", actor=clerk, now=NOW)
    assert done.status == IssueStatus.RESOLVED and done.resolved_by == clerk


def test_the_month_compares_the_three_totals(clerk, customers):
    services.take_counter_payment(customers["east"].pk, "300", actor=clerk, now=NOW)
    _statement(clerk, ("CASH-1203", "280.00"))
    run = reconciliation.reconcile_month(date(2026, 12, 1), actor=clerk, now=NOW)
    assert (run.receipts_total, run.money_total, run.ledger_total) == (
        D("300.00"),
        D("280.00"),
        D("300.00"),
    )
    assert ReconciliationIssue.objects.filter(month=date(2026, 12, 1)).count() == 1
    assert ReconciliationIssue.objects.filter(day=DAY, kind=IssueKind.TOTALS).count() == 1
