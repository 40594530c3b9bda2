"""Customer import: per-row validation, report, idempotent re-import, dry run."""

import csv
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook

from utilitydesk.audit.models import ChangeRecord
from utilitydesk.customers.importing import import_customers
from utilitydesk.customers.models import Customer, CustomerPhone, ImportJob, Premises

pytestmark = pytest.mark.django_db

HEADER = ["户号", "姓名", "电话", "客户类型", "区", "小区", "楼", "单元", "室", "供热面积", "状态"]
GOOD = [
    [
        "A001",
        "赵一",
        "13811110001",
        "居民",
        "东城区",
        "阳光花园",
        "1号楼",
        "1",
        "201",
        "85.3",
        "供热",
    ],
    [
        "A002",
        "钱二",
        "13811110002;0539-7654321",
        "商业",
        "东城区",
        "阳光花园",
        "1号楼",
        "1",
        "202",
        "120",
        "",
    ],
]
BAD = [
    ["A003", "孙三", "12345", "居民", "东城区", "阳光花园", "1号楼", "1", "203", "80", ""],  # phone
    [
        "A004",
        "李四",
        "13811110004",
        "居民",
        "东城区",
        "阳光花园",
        "1号楼",
        "1",
        "204",
        "-5",
        "",
    ],  # area
    [
        "A001",
        "周五",
        "13811110005",
        "居民",
        "东城区",
        "阳光花园",
        "1号楼",
        "1",
        "205",
        "70",
        "",
    ],  # dup
    [
        "A006",
        "吴六",
        "13811110006",
        "居民",
        "东城区",
        "阳光花园",
        "99号楼",
        "1",
        "101",
        "70",
        "",
    ],  # building
]


def write_csv(path: Path, rows, encoding="utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def building(area):
    return area["east"]  # 东城区 阳光花园 1号楼


def test_good_rows_imported_bad_rows_reported_with_row_and_reason(tmp_path, people, building):
    path = write_xlsx(tmp_path / "c.xlsx", GOOD + BAD)
    report = import_customers(path, people["office"])
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    rejected = {(e.row, e.column) for e in report.rejected}
    assert rejected == {(4, "phones"), (5, "heated_area"), (6, "account_no"), (7, "building")}
    reasons = {e.row: e.reason for e in report.rejected}
    assert "第 2 行" in reasons[6]  # duplicate points to the first occurrence
    customer = Customer.objects.get(account_no="A002")
    assert customer.customer_type == "commercial"
    assert list(customer.phones.values_list("number", flat=True)) == ["13811110002", "05397654321"]
    premises = customer.premises.get()
    assert (
        premises.address_text == "东城区阳光花园1号楼1单元202室"
        and premises.station == building.station
    )


def test_second_import_of_the_same_file_changes_nothing(tmp_path, people, building):
    path = write_csv(tmp_path / "c.csv", GOOD + BAD)
    import_customers(path, people["office"])
    before = (Customer.objects.count(), Premises.objects.count(), CustomerPhone.objects.count())
    report = import_customers(path, people["office"])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert (
        Customer.objects.count(),
        Premises.objects.count(),
        CustomerPhone.objects.count(),
    ) == before
    assert not ChangeRecord.objects.exists()


def test_reimport_with_changes_updates_and_records_history(tmp_path, people, building):
    import_customers(write_csv(tmp_path / "a.csv", GOOD), people["office"])
    changed = [list(GOOD[0]), list(GOOD[1])]
    changed[0][1] = "赵壹"
    changed[1][9] = "121.5"
    report = import_customers(write_csv(tmp_path / "b.csv", changed), people["office"])
    assert (report.created, report.updated) == (0, 2)
    assert Customer.objects.get(account_no="A001").name == "赵壹"
    fields = set(ChangeRecord.objects.values_list("field", "old_value", "new_value", "source"))
    assert fields == {
        ("name", "赵一", "赵壹", "import"),
        ("heated_area", "120.00", "121.50", "import"),
    }


def test_dry_run_writes_nothing_but_reports_exactly(tmp_path, people, building):
    report = import_customers(
        write_csv(tmp_path / "c.csv", GOOD + BAD), people["office"], dry_run=True
    )
    assert report.created == 2 and report.rejected_rows == 4 and report.dry_run
    assert not Customer.objects.exists()


def test_missing_buildings_created_only_with_the_flag(tmp_path, people, building):
    path = write_csv(tmp_path / "c.csv", [BAD[3]])
    assert import_customers(path, people["office"]).rejected_rows == 1
    report = import_customers(path, people["office"], create_buildings=True)
    assert report.created == 1 and report.buildings_created == 1


def test_premises_of_another_account_is_refused(tmp_path, people, building):
    import_customers(write_csv(tmp_path / "a.csv", GOOD), people["office"])
    row = ["B001", "新户", "13811119999", "", "东城区", "阳光花园", "1号楼", "1", "201", "80", ""]
    report = import_customers(write_csv(tmp_path / "b.csv", [row]), people["office"])
    assert report.rejected[0].column == "room" and "A001" in report.rejected[0].reason


def test_gb18030_csv_from_chinese_excel(tmp_path, people, building):
    report = import_customers(
        write_csv(tmp_path / "gbk.csv", GOOD, encoding="gb18030"), people["office"]
    )
    assert report.created == 2
    assert Customer.objects.get(account_no="A001").name == "赵一"


def test_missing_required_column_rejects_the_file(tmp_path, people):
    path = tmp_path / "c.csv"
    path.write_text("户号,姓名\nA1,张三\n", encoding="utf-8")
    report = import_customers(path, people["office"])
    assert report.file_errors and "phones" in report.file_errors[0]
    assert not Customer.objects.exists()


def test_unsupported_file_type(tmp_path, people):
    path = tmp_path / "c.txt"
    path.write_text("x")
    assert import_customers(path, people["office"]).file_errors


def test_command_line_import_with_dry_run(tmp_path, people, building, capsys):
    path = write_csv(tmp_path / "c.csv", GOOD + BAD)
    call_command("import_customers", str(path), "--user", "office", "--dry-run", "--no-progress")
    out = capsys.readouterr().out
    assert "2 created" in out and "row 4\t电话" in out
    assert not Customer.objects.exists()
    call_command("import_customers", str(path), "--user", "office", "--no-progress")
    assert Customer.objects.count() == 2


def test_web_import_runs_in_background_and_shows_report(
    tmp_path, people, building, client, django_capture_on_commit_callbacks
):
    client.force_login(people["office"])
    path = write_csv(tmp_path / "c.csv", GOOD + BAD)
    upload = SimpleUploadedFile("c.csv", path.read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        with_callbacks = client.post("/customers/import/", {"file": upload})
    assert with_callbacks.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "done" and job.report["created"] == 2 and job.report["rejected_rows"] == 4
    page = client.get(with_callbacks["Location"]).content.decode()
    assert "12345" in page and "不是有效的电话号码" in page and "<td>电话</td>" in page


def test_technician_cannot_import(people, client):
    client.force_login(people["tech"])
    assert client.get("/customers/import/").status_code == 403
