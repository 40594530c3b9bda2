"""Generating and storing reports: the files, the schedule (twice → one report), the
readers' inbox, replacing on demand, who may generate."""

import io
import subprocess  # nosec B404: pdftotext reads the PDF the test generated
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from openpyxl import load_workbook

from tests.factories import staff
from utilitydesk.notifications.models import Message
from utilitydesk.org.models import Position
from utilitydesk.reports import services
from utilitydesk.reports.models import Report, ReportKind

SH = ZoneInfo("Asia/Shanghai")
# Monday 16 November 2026, 01:00: week 46, October and Q3 are due.
MONDAY = datetime(2026, 11, 16, 1, tzinfo=SH)
DEC_FIRST = datetime(2026, 12, 1, 1, tzinfo=SH)


def pdf_text(content: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return result.stdout.decode()


def test_weekly_report_is_stored_with_its_files(world, org, people):
    report = services.generate(
        ReportKind.WEEKLY, org["company"], "2026-W46", actor=people["gm"], now=MONDAY
    )
    assert report.generated_by == people["gm"]
    assert report.policy_version is not None
    assert report.period_start == datetime(2026, 11, 9, tzinfo=SH)
    assert report.xlsx.name.startswith("reports/weekly/2026-W46/")
    book = load_workbook(io.BytesIO(report.xlsx.read()))
    sheets = {sheet.title: sheet for sheet in book.worksheets}
    intake = sheets["受理情况（按类型）"]
    rows = {row[0]: row[1:] for row in intake.iter_rows(min_row=3, values_only=True)}
    assert rows["合计"] == (5, 4)
    timeliness = list(sheets["办理及时率"].iter_rows(values_only=True))
    on_site = next(row for row in timeliness if row[0] == "报修及时率（到场）")
    assert on_site[2:5] == (3, 1, 0.3333)  # a number, shown as 33.3%
    text = pdf_text(report.pdf.read())
    assert "热力公司 客户服务周报" in text
    assert "受理情况（按类型）" in text
    assert "加强维修质量培训" in text


def test_the_stored_content_does_not_follow_later_changes(world, org, people):
    report = services.generate(
        ReportKind.CALLBACKS, org["east"], "2026-11", actor=people["gm"], now=MONDAY
    )
    world["B"].callback_tasks.update(outcome="satisfied", comment="")
    report.refresh_from_db()
    dissatisfied = next(s for s in report.content["sections"] if s["key"] == "dissatisfied")
    assert dissatisfied["rows"][0][3] == "维修不彻底"


def test_schedule_twice_stores_each_report_once(world, org, people):
    first = services.generate_due(now=MONDAY)
    # The company gets all five; each station its weekly, supervision and callback report.
    assert sorted((r.kind, r.unit.code, r.period) for r in first) == sorted(
        [(kind, "CO", services.due_periods(MONDAY)[kind].code) for kind in ReportKind]
        + [
            (kind, code, services.due_periods(MONDAY)[kind].code)
            for code in ("E", "W")
            for kind in (ReportKind.WEEKLY, ReportKind.SUPERVISION, ReportKind.CALLBACKS)
        ]
    )
    assert services.due_periods(MONDAY)[ReportKind.WEEKLY].code == "2026-W46"
    assert services.due_periods(MONDAY)[ReportKind.ASSESSMENT].code == "2026-10"
    assert services.due_periods(MONDAY)[ReportKind.CONSULTATION].code == "2026-Q3"
    assert all(r.generated_by is None for r in first)
    count = Report.objects.count()
    messages = Message.objects.count()
    assert services.generate_due(now=MONDAY.replace(hour=2)) == []
    assert Report.objects.count() == count == 11
    assert Message.objects.count() == messages
    # Nor does the schedule replace a report generated again by the same call.
    again = services.generate(
        ReportKind.WEEKLY, org["company"], "2026-W46", actor=None, now=MONDAY, replace=False
    )
    assert again.revision == 1


def test_the_first_of_the_month_brings_the_previous_month(org):
    periods = services.due_periods(DEC_FIRST)
    assert periods[ReportKind.SUPERVISION].code == "2026-11"
    assert periods[ReportKind.WEEKLY].code == "2026-W48"
    assert periods[ReportKind.CONSULTATION].code == "2026-Q3"
    assert services.due_periods(datetime(2027, 1, 1, 1, tzinfo=SH))[
        ReportKind.CONSULTATION
    ].code == ("2026-Q4")


def test_readers_get_the_report_in_their_inbox(world, org, people):
    services.generate(ReportKind.WEEKLY, org["company"], "2026-W46", actor=None, now=MONDAY)
    company = set(
        Message.objects.filter(reference__startswith="report:").values_list(
            "recipient__username", flat=True
        )
    )
    assert company == {"gm", "office"}
    station = services.generate(ReportKind.WEEKLY, org["east"], "2026-W46", actor=None, now=MONDAY)
    message = Message.objects.get(reference=f"report:{station.pk}")
    assert message.recipient == people["head_east"]
    assert message.link == f"/reports/{station.pk}/"
    assert "城东供热所" in message.subject


def test_generating_again_replaces_and_counts_the_revision(
    world, org, people, django_capture_on_commit_callbacks
):
    first = services.generate(
        ReportKind.ASSESSMENT, org["company"], "2026-11", actor=people["gm"], now=MONDAY
    )
    old_pdf = first.pdf.name
    with django_capture_on_commit_callbacks(execute=True):
        second = services.generate(
            ReportKind.ASSESSMENT, org["company"], "2026-11", actor=people["office"], now=DEC_FIRST
        )
    assert second.pk == first.pk
    assert second.revision == 2
    assert second.generated_by == people["office"]
    assert Report.objects.count() == 1
    assert not default_storage.exists(old_pdf)
    assert default_storage.exists(second.pdf.name)


def test_who_may_generate(world, org, people):
    with pytest.raises(PermissionDenied):
        services.generate(ReportKind.WEEKLY, org["company"], "2026-W46", actor=people["agent"])
    with pytest.raises(PermissionDenied):  # a station head: their own station only
        services.generate(ReportKind.WEEKLY, org["west"], "2026-W46", actor=people["head_east"])
    report = services.generate(
        ReportKind.WEEKLY, org["east"], "2026-W46", actor=people["head_east"], now=MONDAY
    )
    assert report.unit == org["east"]


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        (ReportKind.WEEKLY, "2026-11"),
        (ReportKind.SUPERVISION, "2026-W46"),
        (ReportKind.CONSULTATION, "2026-11"),
        (ReportKind.ASSESSMENT, "2026-13"),
        ("yearly", "2026"),
    ],
)
def test_a_period_must_fit_the_report(org, people, kind, code):
    with pytest.raises(ValidationError):
        services.generate(kind, org["company"], code, actor=people["gm"])


def test_a_station_report_goes_to_its_head(org):
    head = staff("head_west", Position.STATION_HEAD, org["west"])
    assert services.readers(org["west"]) == [head]
