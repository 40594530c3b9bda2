"""Issue 11: the service office imports the files Chinese offices write, in a browser at
1440×900: a GB18030 CSV and an Excel workbook with merged title rows, typed cells and
phone numbers in office forms; the report names each refused row as Excel numbers it."""

from pathlib import Path

import pytest

from tests.e2e.conftest import fits_width, sign_in_on
from utilitydesk.customers.models import Customer
from utilitydesk.customers.tests.test_import_office_files import (
    CSV_ACCEPTED,
    CSV_REFUSED,
    XLSX_ACCEPTED,
    XLSX_REFUSED,
    csv_refused_row,
    office_csv,
    office_workbook,
    refused_row,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/import")


def upload(page, live_server, path: Path) -> None:
    page.goto(f"{live_server.url}/customers/import/")
    page.set_input_files("#id_file", str(path))
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/customers/import/*/")
    page.locator("#import-progress h2").wait_for()  # the report, once the job is done


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_office_imports_its_files_and_reads_the_refused_rows(
    kind, people, area, page, live_server, tmp_path
):
    if kind == "csv":
        path = office_csv(tmp_path / "2026年采暖季客户档案.csv", "gb18030")
        accepted, refused = (
            CSV_ACCEPTED,
            [(csv_refused_row(i), r) for i, r in enumerate(CSV_REFUSED)],
        )
    else:
        path = office_workbook(tmp_path / "2026年采暖季客户档案.xlsx")
        accepted, refused = XLSX_ACCEPTED, [(refused_row(i), r) for i, r in enumerate(XLSX_REFUSED)]
    sign_in_on(page, live_server, "office")
    upload(page, live_server, path)
    assert Customer.objects.count() == len(accepted)
    facts = page.locator("#import-progress dl.facts")
    assert facts.locator("dd").nth(1).inner_text() == str(len(accepted))  # 新建
    table = page.locator("#import-progress table")
    for number, (_row, _column, title, reason) in refused:
        row = table.locator("tr", has=page.locator(f"td:text-is('{number}')"))
        assert row.count() == 1, number
        assert title in row.inner_text() and reason in row.inner_text()
    assert fits_width(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"import-report-{kind}.png"), full_page=True)
