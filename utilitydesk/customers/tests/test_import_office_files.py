"""Customer import of files as Chinese offices write them (issue 11): Excel/WPS workbooks
with merged title rows above the header, merged cells, number- and date-typed cells;
GB18030 and UTF-8-with-BOM CSV with Excel's number and date forms; phone numbers with
full-width digits and spaces, +86/0086, landlines with area codes; areas with units.
Each form goes through `manage.py import_customers` and the web upload, and every refused
row is reported with the row number the office sees in Excel, the column and the reason."""

import csv
import io
import json
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font

from utilitydesk.audit.models import ChangeRecord
from utilitydesk.customers.importing import import_customers
from utilitydesk.customers.models import Customer, ImportJob

pytestmark = pytest.mark.django_db

TITLE = "2026年采暖季客户档案"
# The header as an office template writes it: a required mark, units in brackets, a
# wrapped cell, a column the import does not know (序号).
HEADER = [
    "序号",
    "*户号",
    "户名",
    "联系电话",
    "区",
    "小区",
    "楼号",
    "单元",
    "室",
    "供热面积（㎡）",
    "长期户\n起始日期",
    "供热状态",
]


def wide(text: str) -> str:
    """``text`` as typed with the input method in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text).replace(
        " ", "\u3000"
    )


def customer_row(account, phone, area, since=None, unit="1", room=None):
    """One data row; 区/小区/楼 of the test building."""
    return [
        None,
        account,
        f"客户{account}",
        phone,
        "东城区",
        "阳光花园",
        "1号楼",
        unit,
        room if room is not None else str(account)[-3:],
        area,
        since,
        "供热",
    ]


# (row as typed into the workbook, expected phones, expected area, expected since).
# Typed cells: int/float are number cells, datetime a date cell.
XLSX_ACCEPTED = [
    (
        customer_row("W601", 13812345601, 88.5, datetime(2024, 3, 1)),
        ["13812345601"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        customer_row("W602", 13812345602.0, "88.5㎡", 45352),
        ["13812345602"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        customer_row("W603", wide("138 1234 5603"), "88.5平方米", "2024年3月1日"),
        ["13812345603"],
        "88.50",
        date(2024, 3, 1),
    ),
    (customer_row("W604", "+86 138 1234 5604", "88.5 m2"), ["13812345604"], "88.50", None),
    (customer_row("W605", "0086 13812345605", "88.5m²"), ["13812345605"], "88.50", None),
    (customer_row("W606", "0531-8888 6606", wide("88.5")), ["053188886606"], "88.50", None),
    (customer_row("W607", "(0531)88886607", 120), ["053188886607"], "120.00", None),
    (customer_row("W608", "0531 88886608", 95.25), ["053188886608"], "95.25", None),
    # A landline typed into a number cell: Excel dropped its leading 0.
    (customer_row("W609", 53188886609, "1,234.50"), ["053188886609"], "1234.50", None),
    (
        customer_row("W610", "13812345610 0531-8888 6610", 70),
        ["13812345610", "053188886610"],
        "70.00",
        None,
    ),
    # Account numbers typed as numbers (whole and in Excel's scientific range).
    (customer_row(20260611, "13812345611", 70, room="611"), ["13812345611"], "70.00", None),
    (customer_row(2026000000612.0, "13812345612", 70, room="612"), ["13812345612"], "70.00", None),
    # Full-width unit and room typed with the input method in full-width mode.
    (
        customer_row("W613", "13812345613", 70, unit=wide("2"), room=wide("613")),
        ["13812345613"],
        "70.00",
        None,
    ),
]
XLSX_ACCOUNTS = ["W601", "W602", "W603", "W604", "W605", "W606", "W607", "W608", "W609", "W610"]
XLSX_ACCOUNTS += ["20260611", "2026000000612", "W613"]
# (row, column key, column title in the file, a word of the reason).
XLSX_REFUSED = [
    (customer_row("W620", "13812345620", 70, room=datetime(2026, 3, 1)), "room", "室", "日期"),
    (customer_row("W621", "12345", 70), "phones", "联系电话", "不是有效的电话号码"),
    (customer_row("W622", "13812345622", "八十八平方米"), "heated_area", "供热面积（㎡）", "数字"),
    (customer_row("W623", "13812345623", 70, "去年"), "long_term_since", "长期户 起始日期", "日期"),
    # An 18-digit number typed into a number cell: Excel keeps 15 significant digits.
    (
        customer_row(1.23456789012346e17, "13812345624", 70, room="624"),
        "account_no",
        "*户号",
        "科学计数",
    ),
]
TITLE_ROWS = 3  # title, a second title line, a blank row; the header is row 4


def office_workbook(path: Path, merge_address: bool = True) -> Path:
    """A workbook as the office saves it from Excel or WPS."""
    book = Workbook()
    sheet = book.active
    sheet.title = "客户档案"
    width = len(HEADER)
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(
        ["制表单位：城东供热所", None, None, None, None, None, None, None, "制表日期：2026-10-08"]
    )
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    sheet.append([])
    sheet.append(HEADER)
    rows = [r for r, *_ in XLSX_ACCEPTED] + [r for r, *_ in XLSX_REFUSED]
    for index, values in enumerate(rows, start=1):
        sheet.append([index, *values[1:]])
    first, last = TITLE_ROWS + 2, TITLE_ROWS + 1 + len(rows)
    for number in range(first, last + 1):
        sheet.cell(number, 11).number_format = "yyyy/m/d"
    # An integer long-term cell without a date format is a serial day number.
    sheet.cell(first + 1, 11).number_format = "General"
    if merge_address:
        # 区, 小区 and 楼 written once and merged down the rows they apply to.
        for column in (5, 6, 7):
            for number in range(first + 1, last + 1):
                sheet.cell(number, column).value = None
            sheet.merge_cells(start_row=first, start_column=column, end_row=last, end_column=column)
    book.save(path)
    return path


def refused_row(index: int) -> int:
    """The Excel row number of XLSX_REFUSED[index]."""
    return TITLE_ROWS + 2 + len(XLSX_ACCEPTED) + index


def assert_accepted(accounts, expectations):
    for account, (_row, phones, area, since) in zip(accounts, expectations, strict=True):
        customer = Customer.objects.get(account_no=account)
        assert [p.number for p in customer.phones.order_by("position")] == phones, account
        premises = customer.premises.get()
        assert premises.heated_area == Decimal(area), account
        assert customer.long_term_since == since, account
        assert premises.building.name == "1号楼"


@pytest.fixture
def building(area):
    return area["east"]  # 东城区 阳光花园 1号楼


def test_office_workbook_through_the_command(tmp_path, people, building, capsys):
    path = office_workbook(tmp_path / "2026年采暖季客户档案.xlsx")
    report_path = tmp_path / "report.json"
    call_command(
        "import_customers",
        str(path),
        "--user",
        "office",
        "--no-progress",
        "--report",
        str(report_path),
    )
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["created"] == len(XLSX_ACCEPTED)
    assert report["rejected_rows"] == len(XLSX_REFUSED)
    assert report["total_rows"] == len(XLSX_ACCEPTED) + len(XLSX_REFUSED)
    assert report["ignored_columns"] == ["序号"] and report["header_row"] == TITLE_ROWS + 1
    assert_accepted(XLSX_ACCOUNTS, XLSX_ACCEPTED)
    assert Customer.objects.get(account_no="W613").premises.get().unit_no == "2"
    assert Customer.objects.get(account_no="W613").premises.get().room_no == "613"
    out = capsys.readouterr().out
    for index, (_row, column, title, reason) in enumerate(XLSX_REFUSED):
        error = report["rejected"][index]
        assert (error["row"], error["column"], error["column_title"]) == (
            refused_row(index),
            column,
            title,
        )
        assert reason in error["reason"], error
        assert f"row {refused_row(index)}\t{title}" in out
    assert f"header on row {TITLE_ROWS + 1}" in out


def test_office_workbook_through_the_web_upload(
    tmp_path, people, building, client, django_capture_on_commit_callbacks
):
    path = office_workbook(tmp_path / "客户档案.xlsx")
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/customers/import/", {"file": SimpleUploadedFile(path.name, path.read_bytes())}
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "done", job.report
    assert job.report["created"] == len(XLSX_ACCEPTED)
    assert_accepted(XLSX_ACCOUNTS, XLSX_ACCEPTED)
    page = client.get(response["Location"]).content.decode()
    for index, (_row, _column, title, reason) in enumerate(XLSX_REFUSED):
        assert f"<td>{refused_row(index)}</td><td>{title}</td>" in page
        assert reason in page


def test_a_second_import_of_the_office_workbook_changes_nothing(tmp_path, people, building):
    path = office_workbook(tmp_path / "a.xlsx")
    import_customers(path, people["office"])
    report = import_customers(path, people["office"])
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(XLSX_ACCEPTED))


def test_a_changed_long_term_date_is_updated_and_recorded(tmp_path, people, building):
    path = office_workbook(tmp_path / "a.xlsx")
    import_customers(path, people["office"])
    book = load_workbook(path)
    book.active.cell(TITLE_ROWS + 2, 11).value = datetime(2025, 1, 1)
    book.save(path)
    report = import_customers(path, people["office"])
    assert report.updated == 1
    customer = Customer.objects.get(account_no="W601")
    assert customer.long_term_since == date(2025, 1, 1)
    assert ChangeRecord.objects.filter(
        field="long_term_since", old_value="2024-03-01", new_value="2025-01-01", source="import"
    ).exists()


def test_a_file_without_the_long_term_column_leaves_the_dates_alone(tmp_path, people, building):
    import_customers(office_workbook(tmp_path / "a.xlsx"), people["office"])
    path = tmp_path / "b.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "面积"])
        writer.writerow(
            ["W601", "客户W601", "13812345601", "东城区", "阳光花园", "1号楼", "1", "601", "88.5"]
        )
    report = import_customers(path, people["office"])
    assert report.unchanged == 1
    assert Customer.objects.get(account_no="W601").long_term_since == date(2024, 3, 1)


# --- CSV -------------------------------------------------------------------------------

CSV_HEADER = [
    "户号",
    "姓名",
    "电话",
    "区",
    "小区",
    "楼",
    "单元",
    "室",
    "供热面积(平方米)",
    "长期户起始日期",
]


def csv_row(account, phone, area, since=""):
    return [
        account,
        f"客户{account}",
        phone,
        "东城区",
        "阳光花园",
        "1号楼",
        "1",
        account[-3:],
        area,
        since,
    ]


# Excel's CSV forms: numbers as 13812345678.0 or in scientific notation, dates as
# 2024/3/1 or a serial day number, a thousands separator.
CSV_ACCEPTED = [
    (
        csv_row("C701", "13812345701.0", "88.5㎡", "2024/3/1"),
        ["13812345701"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        csv_row("C702", "1.3812345702E+10", "88.5平方米", "45352"),
        ["13812345702"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        csv_row("C703", wide("138 1234 5703"), "88.5 m2", "2024-03-01"),
        ["13812345703"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        csv_row("C704", "+86 138 1234 5704；0531-8888 6704", "1,088.50"),
        ["13812345704", "053188886704"],
        "1088.50",
        None,
    ),
    (
        csv_row("C705", "(0531)88886705", "88.5m²", "2024.3.1"),
        ["053188886705"],
        "88.50",
        date(2024, 3, 1),
    ),
    (
        csv_row("C706", "0086 13812345706", wide("88.5"), "20240301"),
        ["13812345706"],
        "88.50",
        date(2024, 3, 1),
    ),
]
CSV_REFUSED = [
    (csv_row("C720", "1.38123E+10", "70"), "phones", "电话", "科学计数"),
    (csv_row("C721", "53188886721", "70"), "phones", "电话", "区号"),
    (
        csv_row("C722", "13812345722", "70", "2024/13/45"),
        "long_term_since",
        "长期户起始日期",
        "日期",
    ),
]


def office_csv(path: Path, encoding: str, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    width = len(CSV_HEADER)
    writer.writerow([TITLE] + [""] * (width - 1))  # Excel writes a merged title so
    writer.writerow([""] * width)
    writer.writerow(CSV_HEADER)
    writer.writerows([r for r, *_ in CSV_ACCEPTED] + [r for r, *_ in CSV_REFUSED])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


CSV_TITLE_ROWS = 2


def csv_refused_row(index: int) -> int:
    return CSV_TITLE_ROWS + 2 + len(CSV_ACCEPTED) + index


def assert_csv_report(report):
    assert report["created"] == len(CSV_ACCEPTED), report
    assert report["total_rows"] == len(CSV_ACCEPTED) + len(CSV_REFUSED)
    assert_accepted([r[0] for r, *_ in CSV_ACCEPTED], CSV_ACCEPTED)
    refused = [(e["row"], e["column"], e["column_title"]) for e in report["rejected"]]
    assert refused == [
        (csv_refused_row(i), column, title) for i, (_r, column, title, _w) in enumerate(CSV_REFUSED)
    ]
    for error, (_r, _c, _t, word) in zip(report["rejected"], CSV_REFUSED, strict=True):
        assert word in error["reason"], error


@pytest.mark.parametrize(
    ("encoding", "delimiter"), [("gb18030", ","), ("utf-8-sig", ","), ("gb18030", "\t")]
)
def test_office_csv_through_the_command(tmp_path, people, building, encoding, delimiter):
    path = office_csv(tmp_path / "客户.csv", encoding, delimiter)
    report_path = tmp_path / "report.json"
    call_command(
        "import_customers",
        str(path),
        "--user",
        "office",
        "--no-progress",
        "--report",
        str(report_path),
    )
    assert_csv_report(json.loads(report_path.read_text(encoding="utf-8")))


def test_gb18030_csv_through_the_web_upload(
    tmp_path, people, building, client, django_capture_on_commit_callbacks
):
    path = office_csv(tmp_path / "客户.csv", "gb18030")
    assert path.read_bytes().startswith(TITLE.encode("gb18030"))
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/customers/import/", {"file": SimpleUploadedFile(path.name, path.read_bytes())}
        )
    job = ImportJob.objects.get()
    assert job.status == "done", job.report
    assert_csv_report(job.report)
    page = client.get(response["Location"]).content.decode()
    for index, (_row, _column, title, word) in enumerate(CSV_REFUSED):
        assert f"<td>{csv_refused_row(index)}</td><td>{title}</td>" in page and word in page


# --- headers ---------------------------------------------------------------------------


def test_a_two_level_header_with_merged_cells_is_read(tmp_path, people, building):
    """户号/姓名/电话 merged down two header rows, 地址 merged across 区…室 above its parts."""
    book = Workbook()
    sheet = book.active
    sheet.append(["客户档案"])
    sheet.merge_cells("A1:I1")
    sheet.append(["户号", "姓名", "电话", "地址", None, None, None, None, "面积"])
    sheet.append([None, None, None, "区", "小区", "楼", "单元", "室", None])
    for column in "ABCI":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:H2")
    sheet.append(["T1", "张三", "13812340001", "东城区", "阳光花园", "1号楼", "1", "101", 80])
    sheet.append(["T2", "李四", "12345", "东城区", "阳光花园", "1号楼", "1", "102", 80])
    book.save(tmp_path / "two.xlsx")
    report = import_customers(tmp_path / "two.xlsx", people["office"])
    assert report.created == 1 and not report.file_errors
    assert [(e.row, e.column) for e in report.rejected] == [(5, "phones")]


def test_no_header_in_the_first_rows_is_reported(tmp_path, people):
    path = tmp_path / "c.csv"
    path.write_text("客户档案\n说明：请勿修改\n张三,13812345678\n", encoding="utf-8")
    report = import_customers(path, people["office"])
    assert report.file_errors and "20" in report.file_errors[0]


def test_a_header_missing_columns_names_them_and_its_row(tmp_path, people):
    path = tmp_path / "c.csv"
    path.write_text("客户档案,,\n\n户号,姓名,面积\nA1,张三,80\n", encoding="utf-8")
    report = import_customers(path, people["office"])
    assert "3" in report.file_errors[0] and "电话 (phones)" in report.file_errors[0]
    with pytest.raises(CommandError):
        call_command("import_customers", str(path), "--user", "office", "--no-progress")


def test_two_phone_columns_are_read_as_one_list(tmp_path, people, building):
    path = tmp_path / "c.csv"
    path.write_text(
        "户号,姓名,手机,固定电话,区,小区,楼,单元,室,面积\n"
        "P1,张三,13812340001,0531-88880001,东城区,阳光花园,1号楼,1,101,80\n"
        "P2,李四,,0531-88880002,东城区,阳光花园,1号楼,1,102,80\n",
        encoding="utf-8",
    )
    report = import_customers(path, people["office"])
    assert report.created == 2 and not report.ignored_columns
    phones = {
        c.account_no: [p.number for p in c.phones.order_by("position")]
        for c in Customer.objects.all()
    }
    assert phones == {"P1": ["13812340001", "053188880001"], "P2": ["053188880002"]}


def test_a_workbook_that_understates_its_size_is_read_to_its_end(tmp_path, people, building):
    """Some programs write a <dimension> of A1 whatever the sheet holds."""
    plain = tmp_path / "plain.xlsx"
    book = Workbook()
    book.active.append(["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "面积"])
    for i in range(5):
        book.active.append(
            [f"D{i}", "张三", f"1381234000{i}", "东城区", "阳光花园", "1号楼", "1", f"10{i}", 80]
        )
    book.save(plain)
    path = tmp_path / "understated.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data)
            target.writestr(info, data)
    report = import_customers(path, people["office"])
    assert report.created == 5


# More forms people type, through the command (one CSV, a row per form).
MORE_FORMS = [
    # (户号 as written, 电话, 面积, 长期户起始日期) → (户号, phones, area, since)
    (
        ("M801", "13812345801(本人)", "88.5平米", "2024-03"),
        ("M801", ["13812345801"], "88.50", date(2024, 3, 1)),
    ),
    (
        ("M802", "138-1234-5802", "88.5 ㎡", "2024年3月"),
        ("M802", ["13812345802"], "88.50", date(2024, 3, 1)),
    ),
    (
        (wide("M803"), "13812345803|13812345813", "88.5", "2024年3月1号"),
        ("M803", ["13812345803", "13812345813"], "88.50", date(2024, 3, 1)),
    ),
    (("M804", "+86 531 8888 6804", "1,088", ""), ("M804", ["053188886804"], "1088.00", None)),
]
MORE_REFUSED = [
    (("M820", "0531-8888 6820转801", "70", ""), "phones"),
    (("M821", "13812345821", "-70㎡", ""), "heated_area"),
    (("M822", "13812345822", "NaN", ""), "heated_area"),
    (("M823", "13812345823", "70", "2024年13月"), "long_term_since"),
]


def test_more_written_forms(tmp_path, people, building, capsys):
    path = tmp_path / "c.csv"
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "面积", "长期户起始日期"]
        )
        for (account, phone, area, since), _ in MORE_FORMS + MORE_REFUSED:
            room = _narrow_digits(account)[-3:]
            writer.writerow(
                [account, "张三", phone, "东城区", "阳光花园", "1号楼", "1", room, area, since]
            )
    call_command("import_customers", str(path), "--user", "office", "--no-progress")
    for _written, (account, phones, area, since) in MORE_FORMS:
        customer = Customer.objects.get(account_no=account)
        assert [p.number for p in customer.phones.order_by("position")] == phones
        assert customer.premises.get().heated_area == Decimal(area)
        assert customer.long_term_since == since
    out = capsys.readouterr().out
    for index, (_written, column) in enumerate(MORE_REFUSED):
        title = {"phones": "电话", "heated_area": "面积", "long_term_since": "长期户起始日期"}[
            column
        ]
        assert f"row {2 + len(MORE_FORMS) + index}\t{title}\t" in out


def _narrow_digits(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)
