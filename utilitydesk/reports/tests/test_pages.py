"""The report pages, the files behind the media check, and the command."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from utilitydesk.reports import services
from utilitydesk.reports.models import Report, ReportKind

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 1, tzinfo=SH)


@pytest.fixture
def stored(world, org):
    return {
        "company": services.generate(
            ReportKind.WEEKLY, org["company"], "2026-W46", actor=None, now=MONDAY
        ),
        "east": services.generate(
            ReportKind.WEEKLY, org["east"], "2026-W46", actor=None, now=MONDAY
        ),
        "west": services.generate(
            ReportKind.CALLBACKS, org["west"], "2026-11", actor=None, now=MONDAY
        ),
    }


def test_the_list_filters_and_shows_chinese(client, people, stored, org):
    client.force_login(people["gm"])
    page = client.get("/reports/").content.decode()
    assert "客户服务周报" in page and "月度回访报告" in page
    listed = client.get("/reports/", {"kind": "callbacks"}).context["page"]
    assert list(listed) == [stored["west"]]
    page = client.get("/reports/", {"unit": org["east"].pk, "period": "2026-W46"})
    assert list(page.context["page"]) == [stored["east"]]


def test_a_station_head_sees_their_stations_reports_only(client, people, stored):
    client.force_login(people["head_east"])
    listed = list(client.get("/reports/").context["page"])
    assert listed == [stored["east"]]
    assert client.get(f"/reports/{stored['east'].pk}/").status_code == 200
    assert client.get(f"/reports/{stored['company'].pk}/").status_code == 404
    assert client.get(f"/reports/{stored['west'].pk}/").status_code == 404
    # The files too: /media/ opens only the station's own.
    assert client.get(f"/media/{stored['east'].pdf.name}").status_code == 200
    assert client.get(f"/media/{stored['company'].xlsx.name}").status_code == 404


def test_people_without_the_permission_get_nothing(client, people, stored):
    client.force_login(people["agent"])
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/reports/{stored['east'].pk}/").status_code == 403
    assert client.get(f"/media/{stored['east'].pdf.name}").status_code == 404


def test_the_report_page_shows_the_sections(client, people, stored):
    client.force_login(people["office"])
    response = client.get(f"/reports/{stored['company'].pk}/")
    page = response.content.decode()
    assert "受理情况（按类型）" in page
    assert "加强维修质量培训" in page
    assert "33.3%" in page and "kpi-red" in page
    assert stored["company"].xlsx.url in page and stored["company"].pdf.url in page
    download = client.get(stored["company"].xlsx.url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")


def test_generate_now(client, people, world, org):
    client.force_login(people["head_east"])
    form = client.get("/reports/generate/")
    assert form.status_code == 200 and "hx-indicator" in form.content.decode()
    response = client.post(
        "/reports/generate/", {"kind": "monthly", "unit": org["east"].pk, "period": "2026-11"}
    )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.pk}/"
    assert report.generated_by == people["head_east"]
    htmx = client.post(
        "/reports/generate/",
        {"kind": "monthly", "unit": org["east"].pk, "period": "2026-11"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 204 and htmx["HX-Redirect"] == f"/reports/{report.pk}/"
    assert Report.objects.get().revision == 2


def test_generate_now_keeps_what_was_typed_on_error(client, people, org):
    client.force_login(people["head_east"])
    response = client.post(
        "/reports/generate/", {"kind": "weekly", "unit": org["east"].pk, "period": "2026-11"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "2026-W48" in page and 'value="2026-11"' in page
    # Another station is not among the units offered.
    response = client.post(
        "/reports/generate/", {"kind": "weekly", "unit": org["west"].pk, "period": "2026-W46"}
    )
    assert response.status_code == 400 and not Report.objects.exists()
    htmx = client.post(
        "/reports/generate/",
        {"kind": "weekly", "unit": org["east"].pk, "period": "x"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and 'id="generate-form"' in htmx.content.decode()


def test_the_command_prints_where_the_files_are(world, org, settings):
    out = io.StringIO()
    call_command("report", "weekly", "--unit", "E", "--period", "2026-W46", stdout=out)
    report = Report.objects.get()
    assert report.unit == org["east"] and report.period == "2026-W46"
    text = out.getvalue()
    assert str(settings.MEDIA_ROOT / report.xlsx.name) in text
    assert str(settings.MEDIA_ROOT / report.pdf.name) in text
    out = io.StringIO()
    call_command(
        "report", "monthly", "--unit", str(org["company"].pk), "--period", "2026-11", stdout=out
    )
    assert Report.objects.get(unit=org["company"]).kind == ReportKind.SUPERVISION
    out = io.StringIO()
    call_command("report", "--due", "--now", "2026-11-16T01:00", stdout=out)
    assert "report(s) generated" in out.getvalue()


def test_the_command_refuses_bad_input(org):
    with pytest.raises(CommandError):
        call_command("report", "weekly", "--unit", "NOPE", "--period", "2026-W46")
    with pytest.raises(CommandError):
        call_command("report", "weekly", "--unit", "E", "--period", "2026-11")
