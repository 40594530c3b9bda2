"""Data for the payments benchmark (scripts/bench.py, row "payments"): ``--lines`` accounts
(added by COPY when missing) and two files of that many lines for one day, the ICBC
withholding result file (ICBC-WH) and the bank statement naming each transaction
(ICBC-STMT), so importing both and reconciling the day finds no mismatch."""

import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import connection

from utilitydesk.customers.models import Customer
from utilitydesk.kernel.bulk import RowWriter, reserve_ids

PREFIX = "BP"


class Command(BaseCommand):
    help = "Write a bank result file and its statement for the payments benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=200_000)
        parser.add_argument("--folder", required=True)
        parser.add_argument("--day", default="2026-12-03")

    def handle(self, *args, **options):
        count = options["lines"]
        day = date.fromisoformat(options["day"])
        accounts = [f"{PREFIX}{i:08d}" for i in range(count)]
        have = set(
            Customer.objects.filter(account_no__startswith=PREFIX).values_list(
                "account_no", flat=True
            )
        )
        missing = [a for a in accounts if a not in have]
        if missing and connection.vendor == "postgresql":
            with RowWriter(Customer) as writer:
                for pk, account in zip(reserve_ids(Customer, len(missing)), missing, strict=True):
                    writer.write(id=pk, account_no=account, name=f"压测户{account[-4:]}")
                writer.flush()
        elif missing:
            Customer.objects.bulk_create(
                [Customer(account_no=a, name=f"压测户{a[-4:]}") for a in missing], batch_size=2000
            )
        folder = Path(options["folder"])
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(15)  # nosec B311: test data, not security
        stamp = day.strftime("%Y%m%d")
        results = ["流水号,户号,户名,金额,日期,状态"]
        statement = ["日期,流水号,金额,摘要"]
        for i, account in enumerate(accounts):
            amount = Decimal(rng.randint(50_00, 5000_00)) / 100
            tid = f"W{stamp}{i:09d}"
            results.append(f"{tid},{account},压测户,{amount},{stamp},成功")
            statement.append(f"{day.isoformat()},{tid},{amount},代扣供热费")
        (folder / "results.csv").write_bytes(("\r\n".join(results) + "\r\n").encode("gbk"))
        (folder / "statement.csv").write_bytes(("\r\n".join(statement) + "\r\n").encode("gbk"))
        self.stdout.write(f"{count} accounts ({len(missing)} added), files in {folder}")
