"""Issue 10, files: exports that cannot carry formulas or break on control characters,
text cleaned at the edge, bounded imports run outside the web process, failed imports
that report every row's fate, retention of
import files, exports that name customers."""

import csv
import io
import json
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.factories import make_customer
from tests.system.test_api import api_for
from utilitydesk.audit.models import AccessLog
from utilitydesk.customers import importing, services
from utilitydesk.customers.importing import ImportLimits, import_customers, read_rows
from utilitydesk.customers.models import Customer, ImportJob
from utilitydesk.surveys import services as survey_services
from utilitydesk.surveys.models import Answer

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
HEADER = ["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "供热面积"]


def row(i: int, name: str = "", phone: str = "") -> list[str]:
    return [
        f"T{i:05d}",
        name or f"客户{i}",
        phone or f"138{i:08d}",
        "东城区",
        "阳光花园",
        "1号楼",
        str(i // 1000 + 1),
        str(i % 1000 + 100),
        "80",
    ]


def write_csv(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def upload(client, path: Path, **data):
    data["file"] = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post("/customers/import/", data)


def exported_sheet(client, **query):
    response = client.get("/customers/export/", query)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content)).worksheets[0]


def cells_of(sheet) -> dict[str, object]:
    return {str(c.value): c for line in sheet.iter_rows() for c in line if c.value is not None}


@pytest.fixture
def building(area):
    return area["east"]  # 东城区 阳光花园 1号楼


# --- 6. formula injection ------------------------------------------------------------


def test_customer_named_like_a_formula_is_exported_as_text(people, area, client):
    make_customer(area["east"], "301", name=FORMULA)
    make_customer(area["east"], "302", name="@SUM(1+1)")
    make_customer(area["east"], "303", name="#N/A")
    client.force_login(people["gm"])
    sheet = exported_sheet(client)
    values = cells_of(sheet)
    cell = values["'" + FORMULA]
    assert cell.data_type == "s" and not str(cell.value).startswith("=")
    assert values["'@SUM(1+1)"].data_type == "s"
    assert values["#N/A"].data_type == "s"  # an error code stays text
    assert not any(c.data_type == "f" for line in sheet.iter_rows() for c in line)


def survey_and_token(people, area):
    for i in range(3):
        make_customer(area["east"], f"50{i}", phones=(f"1390000{i:04d}",))
    survey = survey_services.create_survey("满意度", 3, actor=people["office"], seed="s")
    member = survey.members.first()
    return survey, survey_services.link_token(member)


def test_anonymous_survey_comment_is_exported_as_text(people, area, client):
    survey, token = survey_and_token(people, area)
    answers = {
        f"q{q.pk}": ("4" if q.is_score else "=cmd|' /C calc'!A0") for q in survey.questions.all()
    }
    assert client.post(f"/s/{token}/", answers).status_code == 200
    client.force_login(people["office"])
    response = client.get(f"/surveys/{survey.pk}/", {"export": "1"})
    assert response.status_code == 200
    comments = load_workbook(io.BytesIO(response.content))["意见"]
    cell = comments.cell(row=2, column=1)
    assert cell.value == "'=cmd|' /C calc'!A0" and cell.data_type == "s"


# --- 7. control characters -----------------------------------------------------------


def test_control_characters_are_cleaned_on_every_way_in_and_exports_work(
    people, area, building, client, tmp_path, django_capture_on_commit_callbacks
):
    web = make_customer(area["east"], "401", name="网页")
    api = make_customer(area["east"], "402", name="接口")
    # The web form.
    client.force_login(people["agent"])
    response = client.post(
        f"/customers/{web.pk}/edit/",
        {"name": "李\x01雷\x1f", "phones": "13812345678", "customer_type": "resident"},
    )
    assert response.status_code == 302
    # The API (JSON), a lone surrogate included (as the JSON escape a client sends).
    body = json.dumps({"name": "韩\x02梅梅", "notes": "备\x07注\ud800\x7f"})
    response = api_for(people["agent"]).patch(
        f"/api/v1/customers/{api.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    # A CSV import.
    client.force_login(people["office"])
    path = write_csv(tmp_path / "c.csv", [row(1, name="导\x03入\x1b")])
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, path).status_code == 302
    assert ImportJob.objects.get().status == "done"

    assert Customer.objects.get(pk=web.pk).name == "李雷"
    stored = Customer.objects.get(pk=api.pk)
    assert (stored.name, stored.notes) == ("韩梅梅", "备注")
    assert Customer.objects.get(account_no="T00001").name == "导入"

    # A value stored before input was cleaned never breaks an export either.
    Customer.objects.filter(pk=web.pk).update(name="旧\x01值\x0b")
    client.force_login(people["gm"])
    values = cells_of(exported_sheet(client))
    assert {"旧值", "韩梅梅", "导入"} <= set(values)


def test_control_characters_in_a_public_survey_answer_are_cleaned(people, area, client):
    survey, token = survey_and_token(people, area)
    answers = {f"q{q.pk}": ("5" if q.is_score else "很\x01好\x08") for q in survey.questions.all()}
    assert client.post(f"/s/{token}/", answers).status_code == 200
    assert Answer.objects.get(score__isnull=True).text == "很好"
    client.force_login(people["office"])
    assert client.get(f"/surveys/{survey.pk}/", {"export": "1"}).status_code == 200


def test_nul_is_still_refused_and_query_strings_are_cleaned(people, client):
    client.force_login(people["agent"])
    assert client.get("/customers/", {"q": "\x00"}).status_code == 400
    assert client.get("/customers/", {"q": "李\x01"}).status_code == 200


# --- 8. limits, streaming, bounded reports, background worker -------------------------


def test_an_upload_over_the_size_limit_is_refused_while_it_arrives(
    people, building, client, settings, tmp_path
):
    settings.IMPORT_MAX_FILE_BYTES = 20_000
    path = write_csv(tmp_path / "big.csv", [row(i) for i in range(1000)])  # about 60 KB
    client.force_login(people["office"])
    response = upload(client, path)
    assert response.status_code == 200
    assert "MB" in response.content.decode() and "拆分" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused_by_the_import_itself(people, building, tmp_path):
    path = write_csv(tmp_path / "big.csv", [row(i) for i in range(1000)])
    limits = ImportLimits.from_settings(max_file_bytes=20_000)
    report = import_customers(path, people["office"], limits=limits)
    assert report.file_errors and "MB" in report.file_errors[0]
    assert not Customer.objects.exists()


def test_csv_is_read_as_a_stream(tmp_path, people):
    path = write_csv(tmp_path / "large.csv", [row(i % 90000) for i in range(120_000)])
    assert path.stat().st_size > 7_000_000
    report = importing.ImportReport()
    tracemalloc.start()
    try:
        rows, total = read_rows(path, report, ImportLimits.from_settings())
        count = sum(1 for _row in rows)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == count == 120_000
    assert peak < 2_000_000, peak


def zip_bomb(path: Path, padding: int) -> Path:
    """A real workbook whose sheet XML is padded with whitespace: tiny packed, huge
    unpacked."""
    plain = io.BytesIO()
    book = Workbook()
    book.active.append(HEADER)
    book.active.append(row(1))
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b" " * padding + b"</worksheet>")
            bomb.writestr(info.filename, data)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(
    people, building, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES = 5 * 2**20
    path = zip_bomb(tmp_path / "bomb.xlsx", 40 * 2**20)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        report = import_customers(path, people["office"])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000, peak
    assert report.file_errors and "MB" in report.file_errors[0]
    assert not Customer.objects.exists()
    # Through the web: the job fails with the reason, the report page says it.
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, path)
    job = ImportJob.objects.get()
    assert job.status == "failed" and "MB" in job.report["file_errors"][0]
    page = client.get(response["Location"]).content.decode()
    assert "MB" in page and not Customer.objects.exists()


def test_more_rows_than_the_limit_are_refused_before_anything_is_written(
    people, building, settings, tmp_path
):
    settings.IMPORT_MAX_ROWS = 3
    path = write_csv(tmp_path / "c.csv", [row(i) for i in range(5)])
    report = import_customers(path, people["office"])
    assert report.file_errors and "3" in report.file_errors[0]
    book = Workbook()
    book.active.append(HEADER)
    for i in range(5):
        book.active.append(row(i))
    book.save(tmp_path / "c.xlsx")
    report = import_customers(tmp_path / "c.xlsx", people["office"])
    assert report.file_errors and "3" in report.file_errors[0]
    assert not Customer.objects.exists()
    call_command(
        "import_customers", str(path), "--user", "office", "--no-progress", "--max-rows", "5"
    )
    assert Customer.objects.count() == 5


def test_the_report_keeps_the_first_reasons_of_each_column_and_counts_the_rest(
    people, building, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.IMPORT_REPORT_REASONS_PER_COLUMN = 5
    bad = [row(i, phone="12345") for i in range(30)] + [row(99)]
    path = write_csv(tmp_path / "c.csv", bad)
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, path)
    job = ImportJob.objects.get()
    report = job.report
    assert report["rejected_rows"] == 30 and report["created"] == 1
    assert len(report["rejected"]) == 5 and report["rejected_by_column"] == {"phones": 30}
    page = client.get(response["Location"]).content.decode()
    assert "30" in page and page.count("<td>12345</td>") == 5
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/customers/import/").status_code == 200
    job_queries = [q["sql"] for q in queries if "customers_importjob" in q["sql"]]
    assert job_queries and not any('"report"' in sql for sql in job_queries)


def test_imports_run_in_the_worker_process_not_the_web_server(
    people, building, client, settings, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    import threading

    settings.BACKGROUND_MODE = "thread"
    started = []
    monkeypatch.setattr(threading.Thread, "start", lambda self: started.append(self))
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, write_csv(tmp_path / "c.csv", [row(1), row(2)])).status_code == 302
    job = ImportJob.objects.get()
    assert job.status == "queued" and not started  # nothing ran in the web process
    call_command("worker", "--once")
    job.refresh_from_db()
    assert job.status == "done" and job.report["created"] == 2 and job.started_at
    services.run_import(job.pk)  # claiming again does nothing
    assert services.run_next_import() is False
    assert Customer.objects.count() == 2


def test_the_embedded_server_starts_the_worker_process(settings, monkeypatch):
    from utilitydesk.kernel import background
    from utilitydesk.web.management.commands import serve

    settings.BACKGROUND_MODE = "thread"
    launched = []

    class FakeProcess:
        pid = 4242

        def __init__(self, args, **kwargs):
            launched.append(args)

        def terminate(self):
            launched.append("terminated")

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(background.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(serve.scheduler, "start_in_thread", lambda: None)
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: None)
    call_command("serve")
    assert launched[0][2:4] == ["worker", "--parent"] and launched[-1] == "terminated"


def test_the_companion_process_runs_the_periodic_jobs(settings, monkeypatch):
    """`make run`'s companion (Procfile): the queued jobs and, with --periodic-jobs, the
    periodic jobs, until it is stopped."""
    from utilitydesk.kernel import background
    from utilitydesk.kernel.management.commands import worker

    started = []
    monkeypatch.setattr(worker.scheduler, "start_in_thread", lambda: started.append("jobs"))
    monkeypatch.setattr(background, "work", lambda should_stop, idle_seconds: None)
    out = io.StringIO()
    call_command("worker", "--periodic-jobs", stdout=out)
    assert started == ["jobs"] and "sla.sweep" in out.getvalue()
    call_command("worker", stdout=io.StringIO())
    assert started == ["jobs"]


# --- 9. a failed import: every row's fate, the report kept, the access log written -----


def test_an_import_failing_midway_reports_every_rows_fate_and_is_logged(
    people, building, client, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    real = importing._write_chunk
    calls = []

    def failing_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            real(*args, **kwargs)  # written, then lost with its transaction
            raise IntegrityError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "_write_chunk", failing_second_chunk)
    path = write_csv(tmp_path / "c.csv", [row(i) for i in range(2600)])
    client.force_login(people["office"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, path)
    job = ImportJob.objects.get()
    report = job.report
    assert job.status == "failed"
    assert report["created"] == 2000 and report["not_processed_from_row"] == 2002
    assert Customer.objects.count() == 2000  # exactly the rows the report says
    assert "2002" in report["file_errors"][0] and "disk full" in report["file_errors"][0]
    log = AccessLog.objects.get(action=AccessLog.Action.IMPORT)
    assert log.actor == people["office"] and log.detail["not_processed_from_row"] == 2002
    page = client.get(response["Location"]).content.decode()
    assert "2002" in page
    # Importing the same file again completes it.
    monkeypatch.setattr(importing, "_write_chunk", real)
    report = import_customers(path, people["office"])
    assert (report.created, report.unchanged) == (600, 2000)


def test_a_failure_while_reading_stops_cleanly(people, building, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(row(1)) + "\n" + "x" * 70_000 + "\n")
    report = import_customers(path, people["office"])
    assert report.file_errors and not Customer.objects.exists()
    assert AccessLog.objects.filter(action=AccessLog.Action.IMPORT).count() == 1


# --- 16. retention of import files; exports name their customers ----------------------


def test_old_import_files_are_deleted_by_the_periodic_job(people, settings):
    from utilitydesk.customers.tasks import purge_import_files
    from utilitydesk.kernel import scheduler

    settings.IMPORT_FILE_RETENTION_DAYS = 30
    old_at = timezone.now() - timedelta(days=31)

    def job(status, created_at):
        return ImportJob.objects.create(
            file=ContentFile(b"a,b\n", name="c.csv"),
            original_name="c.csv",
            created_by=people["office"],
            status=status,
            created_at=created_at,
        )

    old, recent, waiting = job("done", old_at), job("done", timezone.now()), job("queued", old_at)
    old_name = old.file.name
    assert old.file.storage.exists(old_name)
    assert "customers.purge_import_files" in {j.name for j in scheduler.jobs()}
    assert settings.CELERY_BEAT_SCHEDULE["customers.purge_import_files"]["task"] == (
        purge_import_files.name
    )
    assert purge_import_files.run() == 1
    assert purge_import_files.run() == 0  # idempotent
    old.refresh_from_db()
    assert not old.file and old.file_deleted_at and not old.file.storage.exists(old_name)
    recent.refresh_from_db()
    waiting.refresh_from_db()
    assert recent.file and waiting.file


def test_the_export_names_every_customer_exported(people, area, client):
    exported = [make_customer(area["east"], f"6{i:02d}") for i in range(7)]
    client.force_login(people["gm"])
    exported_sheet(client)
    rows = AccessLog.objects.filter(action=AccessLog.Action.EXPORT, actor=people["gm"])
    assert set(rows.values_list("customer_id", flat=True)) == {c.pk for c in exported}


def test_a_zip_that_understates_its_sizes_is_not_unpacked_past_them(people, building, tmp_path):
    """The declared sizes are what the check reads; zipfile never unpacks past them."""
    import struct

    path = zip_bomb(tmp_path / "liar.xlsx", 20 * 2**20)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        name_at = {b"PK\x03\x04": 30, b"PK\x01\x02": 46}[signature]
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at : start + name_at + len(name)] == name:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", 1000)
            start += 4
    path.write_bytes(bytes(data))
    tracemalloc.start()
    try:
        report = import_customers(path, people["office"])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.file_errors and peak < 3_000_000, peak
    assert not Customer.objects.exists()


def test_csv_cells_are_neutralised_too():
    from utilitydesk.kernel.spreadsheets import CsvWriter

    stream = io.StringIO()
    CsvWriter(stream).writerow(["=1+2", "-3", 4, "a\x01b", "@x", "\tTAB"])
    assert next(csv.reader(io.StringIO(stream.getvalue()))) == [
        "'=1+2",
        "'-3",
        "4",
        "ab",
        "'@x",
        "'\tTAB",
    ]
