"""R-707 reports: the season's pass rate per station and substation, the spread of home
temperatures, the failed homes still waiting, the report page, its workbook and the
command."""

import io
from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from openpyxl import load_workbook

from utilitydesk.audit.models import AccessLog
from utilitydesk.temperature import selectors
from utilitydesk.temperature.models import Measurement, Purpose

from .conftest import NOW, PNG

pytestmark = pytest.mark.django_db

_numbers = count(1)


def stored(premises, home, *, thermometer, technician, passed=None, at=NOW, season=2026):
    """A signed record stored as the service stores it (the numbers are what matter here)."""
    home = Decimal(home)
    measurement = Measurement(
        number=f"CWT{next(_numbers):06d}",
        premises=premises,
        station_id=premises.station_id,
        substation_id=premises.building.substation_id,
        season=season,
        purpose=Purpose.REQUEST,
        instrument=thermometer,
        technician=technician,
        measured_at=at,
        outdoor_celsius=Decimal("-5.0"),
        height_m=Decimal("1.20"),
        doors_windows_closed=True,
        no_heat_source=True,
        target_celsius=Decimal("18.0"),
        home_celsius=home,
        passed=home >= Decimal("18.0") if passed is None else passed,
        valid=True,
        signed_at=at,
        created_at=at,
        created_by=technician,
    )
    measurement.signature.save("s.png", ContentFile(PNG), save=False)
    measurement.save()
    return measurement


@pytest.fixture
def season_records(people, customers, thermometer):
    """East: 3 records, 2 passed (66.7 %); west: 2 records, 1 passed (50 %); one of east's
    in another season, which does not count."""
    east = customers["east"].premises.get()
    west = customers["west"].premises.get()
    tech = people["tech"]
    made = {
        "east_cold": stored(east, "16.5", thermometer=thermometer, technician=tech),
        "east_ok": stored(
            east, "18.4", thermometer=thermometer, technician=tech, at=NOW + timedelta(days=3)
        ),
        "east_ok2": stored(
            east, "19.0", thermometer=thermometer, technician=tech, at=NOW + timedelta(days=5)
        ),
        "west_cold": stored(
            west, "17.2", thermometer=thermometer, technician=tech, at=NOW + timedelta(days=1)
        ),
        "west_ok": stored(west, "20.1", thermometer=thermometer, technician=tech),
        "east_last_season": stored(
            east,
            "12.0",
            thermometer=thermometer,
            technician=tech,
            at=NOW - timedelta(days=365),
            season=2025,
        ),
    }
    return made


def test_pass_rate_per_station_counts_the_seasons_records(people, org, season_records):
    rows = selectors.season_pass_rates(people["office"], 2026)
    by_name = {row.unit_name: row for row in rows}
    assert (by_name["城东供热所"].measured, by_name["城东供热所"].passed) == (3, 2)
    assert by_name["城东供热所"].rate == Decimal("66.7")
    assert (by_name["城西供热所"].measured, by_name["城西供热所"].passed) == (2, 1)
    assert by_name["城西供热所"].rate == Decimal("50.0")
    total = selectors.total_row(rows)
    assert (total.measured, total.passed, total.rate) == (5, 3, Decimal("60.0"))
    # Season 2025 holds only east's cold record.
    [last] = selectors.season_pass_rates(people["office"], 2025)
    assert (last.measured, last.passed, last.rate) == (1, 0, Decimal("0.0"))
    assert selectors.season_pass_rates(people["office"], 2024) == []


def test_pass_rate_per_substation(people, area, season_records):
    rows = selectors.season_pass_rates(people["office"], 2026, by="substation")
    assert {(row.unit_id, row.unit_name, row.measured, row.passed) for row in rows} == {
        (area["east"].substation_id, area["east"].substation.name, 3, 2),
        (area["west"].substation_id, area["west"].substation.name, 2, 1),
    }


def test_a_station_head_reads_their_station_only(people, org, season_records):
    rows = selectors.season_pass_rates(people["head_east"], 2026)
    assert [(row.unit_id, row.measured) for row in rows] == [(org["east"].pk, 3)]
    assert set(selectors.visible_measurements(people["head_east"])) == {
        season_records["east_cold"],
        season_records["east_ok"],
        season_records["east_ok2"],
        season_records["east_last_season"],
    }
    # An agent has no permission to read measurements.
    assert not selectors.visible_measurements(people["agent"]).exists()


def test_distribution_in_half_degree_bins(people, season_records):
    bins = selectors.reading_distribution(people["office"], 2026)
    assert bins[0].low == Decimal("16.5") and bins[-1].low == Decimal("20.0")
    table = {b.low: b.count for b in bins}
    assert table[Decimal("16.5")] == 1
    assert table[Decimal("17.0")] == 1
    assert table[Decimal("18.0")] == 1  # 18.4
    assert table[Decimal("19.0")] == 1
    assert table[Decimal("20.0")] == 1
    assert table[Decimal("18.5")] == 0  # the gap is filled
    assert sum(table.values()) == 5
    east_only = selectors.reading_distribution(
        people["office"], 2026, station_id=season_records["east_ok"].station_id
    )
    assert sum(b.count for b in east_only) == 3


def test_failed_homes_not_remeasured(people, season_records):
    # East failed first, then passed: not waiting. West's latest record failed.
    waiting = list(selectors.failed_not_remeasured(people["office"], 2026))
    assert waiting == [season_records["west_cold"]]
    [row] = selectors.failed_home_rows(people["office"], waiting, now=NOW + timedelta(days=4))
    assert row.days_waiting == 3
    assert row.adjustment is None and row.remeasurement is None
    assert list(selectors.failed_not_remeasured(people["head_east"], 2026)) == []


# --- the page, the workbook, the command ------------------------------------------------------


def test_the_report_page_shows_rates_distribution_and_waiting_homes(
    client, people, customers, season_records
):
    client.force_login(people["office"])
    before = AccessLog.objects.count()
    response = client.get("/temperature/reports/", {"season": 2026})
    assert response.status_code == 200
    page = response.content.decode()
    assert "城东供热所" in page and "66.7%" in page and "50.0%" in page and "60.0%" in page
    assert season_records["west_cold"].number in page
    assert season_records["east_cold"].number not in page  # measured again since
    assert "韩梅梅" in page and customers["west"].premises.get().address_text in page
    # The page named west's customer: one access-log row.
    assert AccessLog.objects.count() == before + 1
    assert AccessLog.objects.latest("pk").customer_id == customers["west"].pk
    # The navigation offers the report.
    assert 'href="/temperature/reports/"' in page


def test_a_station_head_reads_their_station_on_the_page(client, people, season_records):
    client.force_login(people["head_east"])
    page = client.get("/temperature/reports/", {"season": 2026}).content.decode()
    assert "城东供热所" in page and "66.7%" in page
    assert "城西供热所" not in page and season_records["west_cold"].number not in page


def test_phones_are_masked_for_those_without_full_phones(people, season_records):
    waiting = [season_records["west_cold"]]
    [full] = selectors.failed_home_rows(people["office"], waiting, now=NOW)
    assert full.phone == "13900001111"
    # A technician (no full numbers) reading the same row gets it masked.
    [masked] = selectors.failed_home_rows(people["tech"], waiting, now=NOW)
    assert masked.phone != "13900001111" and masked.phone.endswith("1111")


def test_the_report_needs_the_permission(client, people):
    client.force_login(people["agent"])
    assert client.get("/temperature/reports/").status_code == 403


def test_a_bad_season_is_refused_with_a_message(client, people):
    client.force_login(people["office"])
    response = client.get("/temperature/reports/", {"season": "20x6"})
    assert response.status_code == 302


def test_the_workbook_has_the_three_tables(client, people, customers, season_records):
    season_records["west_cold"].premises.customer.__class__.objects.filter(
        pk=customers["west"].pk
    ).update(name="=HYPERLINK(1)")
    client.force_login(people["office"])
    response = client.get("/temperature/reports/", {"season": 2026, "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    by_station, by_substation, spread, failed = workbook.worksheets
    rows = list(by_station.iter_rows(values_only=True))
    assert rows == [
        ("供热所", "测温次数", "达标", "达标率（%）"),
        ("城东供热所", 3, 2, 66.7),
        ("城西供热所", 2, 1, 50),
        ("合计", 5, 3, 60),
    ]
    assert workbook.sheetnames[3] == "不达标未复测"
    assert len(list(by_substation.iter_rows())) == 4
    assert sum(r[2] for r in list(spread.iter_rows(values_only=True))[1:]) == 5
    [header, waiting] = list(failed.iter_rows(values_only=True))
    assert waiting[0] == season_records["west_cold"].number
    assert waiting[7] == "'=HYPERLINK(1)"  # text, never a formula
    export = AccessLog.objects.filter(action=AccessLog.Action.EXPORT).get()
    assert export.customer_id == customers["west"].pk


def test_the_command_prints_the_table_and_writes_the_workbook(people, season_records, tmp_path):
    out = io.StringIO()
    path = tmp_path / "report.xlsx"
    call_command(
        "temperature_report",
        "--season",
        "2026",
        "--user",
        "office",
        "--xlsx",
        str(path),
        "--now",
        "2026-12-10T09:00",
        stdout=out,
    )
    text = out.getvalue()
    assert "城东供热所" in text and "66.7%" in text and "60.0%" in text
    assert "1 failed home" in text
    assert load_workbook(path).sheetnames[0]
    out = io.StringIO()
    call_command(
        "temperature_report",
        "--season",
        "2026",
        "--by",
        "substation",
        "--user",
        "office",
        stdout=out,
    )
    assert "substation" in out.getvalue() and "66.7%" in out.getvalue()
