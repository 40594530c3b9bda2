"""Every KPI against a hand-computed fixture (docs/kpis.md), and every figure equal to the
length of its drill-down list, on the page and in the API."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import settled_deadline as deadline
from tests.factories import staff
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases.models import Case, Channel, Contact, Kind, Status
from utilitydesk.complaints.models import Appeal, Complaint
from utilitydesk.customers.models import Customer, EntryError
from utilitydesk.kpis import selectors, services
from utilitydesk.kpis.definitions import KPIS, MEASURES
from utilitydesk.kpis.models import DayCount
from utilitydesk.kpis.periods import parse_period
from utilitydesk.org.models import Position
from utilitydesk.outages.models import Interruption, InterruptionKind, InterruptionState
from utilitydesk.temperature.models import Measurement, Purpose
from utilitydesk.temperature.tests.test_instruments import instrument

SH = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 10, 10, tzinfo=SH)
OCT = datetime(2026, 10, 20, 10, tzinfo=SH)
numbers = count(1)


def case(unit, kind=Kind.REPAIR, *, received=NOV, resolved=NOV, first_responder, **kw):
    return Case.objects.create(
        number=f"GDT{next(numbers):06d}",
        kind=kind,
        channel=Channel.PHONE,
        content="暖气不热",
        received_at=received,
        resolved_at=resolved,
        status=Status.RESOLVED if resolved else Status.DISPATCHED,
        responsible_unit=unit,
        first_responder=first_responder,
        **kw,
    )


def callback(case_, caller, status, outcome=""):
    return CallbackTask.objects.create(
        case=case_,
        purpose=CallbackTask.Purpose.FIRST,
        caller=caller,
        due_at=case_.resolved_at + timedelta(days=2),
        status=status,
        outcome=outcome,
    )


@pytest.fixture
def world(org, people, customers):
    """November 2026 at the east station (its team's cases roll up to it), with a few rows
    outside it (October, the west station) that no east figure may count."""
    agent, tech, office = people["agent"], people["tech"], people["office"]
    east, team, west = org["east"], org["east_team"], org["west"]
    rows = {}
    # Repairs: A on time; B on site late (breached) and resolved late; C a leak, on time,
    # with no on-site deadline; D resolved in October; G at the west station.
    rows["A"] = case(team, first_responder=agent, assignee=tech)
    deadline(rows["A"], "on_site")
    deadline(rows["A"], "resolution")
    rows["B"] = case(east, first_responder=agent, assignee=tech)
    deadline(rows["B"], "on_site", breached=True)
    deadline(rows["B"], "resolution", late=True)
    rows["C"] = case(east, first_responder=agent, attributes={"pipe_diameter_mm": 400})
    deadline(rows["C"], "resolution")
    rows["D"] = case(east, first_responder=agent, received=OCT, resolved=OCT)
    deadline(rows["D"], "on_site", breached=True)
    rows["G"] = case(west, first_responder=agent)
    deadline(rows["G"], "on_site", breached=True)
    # Complaints: E resolved on time and valid; F resolved late, valid, but set aside on
    # appeal; H open (received, not resolved).
    rows["E"] = case(east, Kind.COMPLAINT, first_responder=agent)
    deadline(rows["E"], "resolution")
    rows["F"] = case(east, Kind.COMPLAINT, first_responder=agent)
    deadline(rows["F"], "resolution", breached=True)
    rows["H"] = case(east, Kind.COMPLAINT, first_responder=agent, resolved=None)
    for key, upheld in (("E", False), ("F", True)):
        complaint = Complaint.objects.create(
            case=rows[key],
            category="repair",
            level=2,
            responsibility="mistake",
            valid=True,
            responsible_unit=east,
        )
        if upheld:
            Appeal.objects.create(
                complaint=complaint,
                submitted_by=people["head_east"],
                reason="误判",
                status="upheld",
            )
    # First callbacks: A satisfied, B dissatisfied, C unreachable, E still to call.
    callback(rows["A"], agent, CallbackTask.Status.DONE, "satisfied")
    callback(rows["B"], agent, CallbackTask.Status.DONE, "dissatisfied")
    callback(rows["C"], agent, CallbackTask.Status.UNREACHABLE, "unreachable")
    callback(rows["E"], agent, CallbackTask.Status.OPEN)
    # Contacts by the agent: three consultations (two answered on the spot), a fee enquiry
    # passed on, a repair call (not answerable on the spot), one consultation in October.
    for kind, on_spot, when in (
        (Kind.CONSULTATION, True, NOV),
        (Kind.CONSULTATION, True, NOV),
        (Kind.CONSULTATION, False, NOV),
        (Kind.FEE, False, NOV),
        (Kind.REPAIR, False, NOV),
        (Kind.CONSULTATION, True, OCT),
    ):
        Contact.objects.create(
            channel=Channel.PHONE,
            kind=kind,
            content="咨询",
            received_at=when,
            first_responder=agent,
            closed_on_spot=on_spot,
        )
    # Customer data: the office clerk entered 8 fields in November, 2 were wrong.
    customer_type = ContentType.objects.get_for_model(Customer)
    for i in range(8):
        ChangeRecord.objects.create(
            content_type=customer_type,
            object_id=customers["east"].pk,
            field=f"f{i}",
            actor=office,
            at=NOV,
            source="web",
        )
    for _ in range(2):
        EntryError.objects.create(
            clerk=office,
            customer=customers["east"],
            kind="wrong_value",
            noted_by=people["gm"],
            noted_at=NOV,
        )
    # Measurements at the east station: three valid (two passed), one without signature.
    thermometer = instrument("T-1", station=east)
    premises = customers["east"].premises.first()
    for passed, valid in ((True, True), (True, True), (False, True), (False, False)):
        Measurement.objects.create(
            number=f"CW{next(numbers):06d}",
            premises=premises,
            station=east,
            season=2026,
            purpose=Purpose.REQUEST,
            instrument=thermometer,
            technician=tech,
            created_by=tech,
            measured_at=NOV,
            outdoor_celsius=Decimal("-3.0"),
            height_m=Decimal("1.20"),
            doors_windows_closed=True,
            no_heat_source=True,
            target_celsius=Decimal("18.0"),
            home_celsius=Decimal("18.5") if passed else Decimal("16.0"),
            passed=passed,
            valid=valid,
            signature="signatures/x.png" if valid else "",
            signed_at=NOV if valid else None,
        )
    # Interruptions starting in November: planned with notice (on time), planned on short
    # notice (override), unplanned announced by its deadline, unplanned late; a draft.
    for planned, override, late, state in (
        (True, False, False, InterruptionState.ANNOUNCED),
        (True, True, False, InterruptionState.ANNOUNCED),
        (False, False, False, InterruptionState.RESTORED),
        (False, False, True, InterruptionState.IN_PROGRESS),
        (True, False, False, InterruptionState.DRAFT),
    ):
        Interruption.objects.create(
            number=f"TR{next(numbers):06d}",
            planned=planned,
            kind=InterruptionKind.choices[0][0],
            title="检修",
            station=east,
            start_at=NOV,
            expected_restoration_at=NOV + timedelta(hours=8),
            state=state,
            recorded_at=NOV - timedelta(days=3),
            recorded_by=people["office"],
            notices_sent_at=None
            if state == InterruptionState.DRAFT
            else NOV - timedelta(hours=1 if late else 3),
            notice_due_at=None if planned else NOV - timedelta(hours=2),
            override_at=NOV - timedelta(days=1) if override else None,
            override_by=people["office"] if override else None,
        )
    return rows


EXPECTED_EAST = {
    # code: (numerator, denominator)
    "complaint_timeliness": (1, 2),  # E on time, F breached
    "repair_on_site_timeliness": (2, 3),  # A, C (no on-site limit) of A, B, C
    "repair_resolution_timeliness": (2, 3),  # A, C of A, B, C
    "leak_repair_timeliness": (1, 1),  # C
    "callback_rate": (3, 4),  # A, B done, C unreachable of A, B, C, E
    "satisfaction_rate": (1, 2),  # A of the reached A, B
    "valid_complaint_rate": (1, 6),  # E (F set aside) of A, B, C, E, F, H received
    "temperature_pass_rate": (2, 3),
    "outage_notice_timeliness": (2, 4),  # the draft is not counted
}


def test_every_kpi_of_a_station_against_the_hand_computed_fixture(world, org, people):
    month = parse_period("2026-11")
    figures = {
        f.kpi.code: f
        for f in selectors.figures(people["gm"], month.start, month.end, unit=org["east"])
    }
    for code, (numerator, denominator) in EXPECTED_EAST.items():
        assert (figures[code].numerator, figures[code].denominator) == (numerator, denominator), (
            code
        )
    assert figures["callback_rate"].value == Decimal("0.7500")
    assert figures["valid_complaint_rate"].value == Decimal("0.1667")
    # Nothing of the station's people's desk work: contacts and entries are charged to the
    # person's unit (the service centre, the office).
    assert figures["first_contact_resolution"].denominator == 0
    assert figures["first_contact_resolution"].colour == "grey"
    # Targets and colours from the policy: the leak repair meets 98 %, the valid-complaint
    # rate is far over 1 %.
    assert figures["leak_repair_timeliness"].target == Decimal("0.98")
    assert figures["leak_repair_timeliness"].colour == "green"
    assert figures["valid_complaint_rate"].colour == "red"


def test_desk_kpis_of_a_person_and_of_their_unit(world, org, people):
    month = parse_period("2026-11")
    agent = {
        f.kpi.code: f
        for f in selectors.figures(people["gm"], month.start, month.end, person=people["agent"])
    }
    # Four answerable contacts in November (the repair call and October's are not).
    fcr = agent["first_contact_resolution"]
    assert (fcr.numerator, fcr.denominator) == (2, 4)
    centre = selectors.figures(
        people["gm"], month.start, month.end, unit=org["centre"], codes=["first_contact_resolution"]
    )[0]
    assert (centre.numerator, centre.denominator) == (2, 4)
    office = selectors.figures(
        people["gm"], month.start, month.end, unit=org["office"], codes=["entry_error_rate"]
    )[0]
    assert (office.numerator, office.denominator) == (2, 8)
    assert office.value == Decimal("0.2500") and office.colour == "red"
    # The company counts everyone once.
    company = {
        f.kpi.code: f
        for f in selectors.figures(people["gm"], month.start, month.end, unit=org["company"])
    }
    assert (company["entry_error_rate"].numerator, company["entry_error_rate"].denominator) == (
        2,
        8,
    )
    # West's late repair joins the company's on-site figure: A, C of A, B, C, G.
    assert (
        company["repair_on_site_timeliness"].numerator,
        company["repair_on_site_timeliness"].denominator,
    ) == (2, 4)


@pytest.mark.parametrize("code", list(KPIS))
def test_each_figure_equals_the_length_of_its_drill_down(world, org, people, code):
    month = parse_period("2026-11")
    for unit in (org["east"], org["company"], org["centre"], org["office"]):
        figure = selectors.figures(people["gm"], month.start, month.end, unit=unit, codes=[code])[0]
        for part, expected in (
            ("numerator", figure.numerator),
            ("denominator", figure.denominator),
        ):
            rows = selectors.kpi_rows(people["gm"], code, part, month.start, month.end, unit=unit)
            assert len(list(rows)) == expected, (code, unit.code, part)
    for person in (people["agent"], people["tech"], people["office"]):
        figure = selectors.figures(
            people["gm"], month.start, month.end, person=person, codes=[code]
        )[0]
        rows = selectors.kpi_rows(
            people["gm"], code, "numerator", month.start, month.end, person=person
        )
        assert len(list(rows)) == figure.numerator


def test_grouped_figures_agree_with_each_units_own(world, org, people):
    month = parse_period("2026-11")
    table = selectors.figures_by_unit(people["gm"], month.start, month.end)
    assert {unit.code for unit, _row in table} >= {"CO", "E", "W", "SC", "SO", "E-T1"}
    for unit, row in table:
        own = selectors.figures(people["gm"], month.start, month.end, unit=unit)
        assert {f.kpi.code: (f.numerator, f.denominator) for f in own} == {
            code: (f.numerator, f.denominator) for code, f in row.items()
        }, unit.code
    by_person = dict(
        selectors.figures_by_person(people["gm"], month.start, month.end, unit=org["east"])
    )
    tech = by_person[people["tech"]]
    # The technician's resolved repairs: A (on time) and B (late).
    assert (
        tech["repair_resolution_timeliness"].numerator,
        tech["repair_resolution_timeliness"].denominator,
    ) == (1, 2)
    own = selectors.figures(people["gm"], month.start, month.end, person=people["tech"])
    assert {f.kpi.code: (f.numerator, f.denominator) for f in own} == {
        code: (f.numerator, f.denominator) for code, f in tech.items()
    }


def test_a_station_head_reads_their_station_only(world, org, people):
    month = parse_period("2026-11")
    head = people["head_east"]
    readable = {u.code for u in selectors.kpi_units(head)}
    assert readable == {"E", "E-T1"}
    with pytest.raises(selectors.PermissionDenied):
        selectors.figures(head, month.start, month.end, unit=org["west"])
    with pytest.raises(selectors.PermissionDenied):
        selectors.kpi_rows(
            head, "callback_rate", "numerator", month.start, month.end, unit=org["company"]
        )
    # A technician reads their own figures, not the station's.
    tech = people["tech"]
    assert selectors.figures(tech, month.start, month.end, person=tech)
    with pytest.raises(selectors.PermissionDenied):
        selectors.figures(tech, month.start, month.end, person=people["agent"])


def test_the_rates_keep_their_figures(world, org):
    """The four service rates of docs/rates.md read through the KPI definitions."""
    month = parse_period("2026-11")
    rates = selectors.rates(org["east"], month.start, month.end)
    assert (rates.callbacks_made, rates.callbacks_due) == (3, 4)
    assert (rates.satisfied, rates.reached) == (1, 2)
    assert (rates.valid_complaints, rates.cases_received) == (1, 6)
    assert (rates.complaints_on_time, rates.complaints_resolved) == (1, 2)
    assert dict(selectors.rates_by_unit(month.start, month.end))[org["east"]] == rates


def test_figure_colours_follow_the_target_and_margin():
    kpi = KPIS["repair_on_site_timeliness"]
    low = KPIS["valid_complaint_rate"]
    margin = Decimal("0.05")
    assert selectors.Figure(kpi, 90, 100, Decimal("0.90"), margin).colour == "green"
    assert selectors.Figure(kpi, 86, 100, Decimal("0.90"), margin).colour == "amber"
    assert selectors.Figure(kpi, 84, 100, Decimal("0.90"), margin).colour == "red"
    assert selectors.Figure(kpi, 0, 0, Decimal("0.90"), margin).colour == "grey"
    assert selectors.Figure(low, 1, 100, Decimal("0.01"), margin).colour == "green"
    assert selectors.Figure(low, 5, 100, Decimal("0.01"), margin).colour == "amber"
    assert selectors.Figure(low, 7, 100, Decimal("0.01"), margin).colour == "red"


def test_the_overview_page_and_each_figure_as_a_door(world, org, people, client):
    client.force_login(people["gm"])
    page = client.get(reverse("kpis:overview"), {"unit": org["east"].pk, "period": "2026-11"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "回访率" in text or "Callback rate" not in text
    month = parse_period("2026-11")
    for code, (numerator, denominator) in EXPECTED_EAST.items():
        for part, expected in (("numerator", numerator), ("denominator", denominator)):
            rows = client.get(
                reverse("kpis:rows"),
                {"kpi": code, "part": part, "unit": org["east"].pk, "period": month.code},
            )
            assert rows.status_code == 200
            assert rows.context["page"].paginator.count == expected, (code, part)
    overdue = client.get(reverse("kpis:rows"), {"measure": "overdue", "unit": org["east"].pk})
    assert overdue.status_code == 200
    assert [cells[0] for _url, cells in overdue.context["lines"]] == []
    # The open complaint H at the east station.
    open_rows = client.get(reverse("kpis:rows"), {"measure": "open", "unit": org["east"].pk})
    assert [cells[0] for _url, cells in open_rows.context["lines"]] == [world["H"].number]


def test_bad_queries_get_a_message_not_a_500(world, org, people, client):
    client.force_login(people["gm"])
    for query in ({"period": "2026-13"}, {"period": "nonsense"}, {"unit": "x"}, {"kind": "decade"}):
        response = client.get(reverse("kpis:overview"), query)
        assert response.status_code == 302, query
    assert client.get(reverse("kpis:rows"), {"kpi": "nope"}).status_code == 404
    client.force_login(people["head_east"])
    assert client.get(reverse("kpis:overview"), {"unit": org["west"].pk}).status_code == 403


def test_the_api_gives_figures_with_targets_and_their_rows(world, org, people):
    api = APIClient()
    api.force_authenticate(people["gm"])
    response = api.get(
        "/api/v1/kpis/", {"unit": org["east"].pk, "period": "2026-11", "kpi": "callback_rate"}
    )
    assert response.status_code == 200, response.content
    (figure,) = response.json()["figures"]
    assert (figure["numerator"], figure["denominator"], figure["value"], figure["target"]) == (
        3,
        4,
        "0.7500",
        "0.9000",
    )
    rows = api.get(figure["numerator_rows"])
    assert rows.status_code == 200 and rows.json()["count"] == 3
    assert {r["values"]["case"] for r in rows.json()["results"]} == {world[k].number for k in "ABC"}
    bad = api.get("/api/v1/kpis/", {"period": "2026-99"})
    assert bad.status_code == 400 and "period" in bad.json()["error"]["fields"]
    bad = api.get("/api/v1/kpis/cases/", {"kpi": "nope", "part": "all"})
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) >= {"kpi", "part"}
    head = APIClient()
    head.force_authenticate(people["head_east"])
    assert head.get("/api/v1/kpis/", {"unit": org["west"].pk}).status_code == 403


def test_dashboard_counts_are_their_lists(world, org, people):
    for code in MEASURES:
        figure = selectors.measure_count(people["gm"], code, unit=org["company"])
        assert figure == len(list(selectors.measure_rows(people["gm"], code, unit=org["company"])))


def test_a_figure_for_someone_with_several_units_counts_once(world, org, people):
    """Desk work is charged to the person's units; a person in two units of the company
    is counted once for the company."""
    from utilitydesk.org.services import assign_position

    assign_position(people["agent"], org["office"], Position.SERVICE_OFFICE)
    staff("agent2", Position.AGENT, org["centre"])
    month = parse_period("2026-11")
    company = selectors.figures(
        people["gm"],
        month.start,
        month.end,
        unit=org["company"],
        codes=["first_contact_resolution"],
    )[0]
    assert (company.numerator, company.denominator) == (2, 4)
    table = dict(
        selectors.figures_by_unit(
            people["gm"], month.start, month.end, codes=["first_contact_resolution"]
        )
    )
    assert table[org["company"]]["first_contact_resolution"].denominator == 4
    assert table[org["office"]]["first_contact_resolution"].denominator == 4


# --- daily counts (docs/kpis.md, "Daily counts") ---------------------------------------


def _everything(people, org):
    """Every figure the pages read, as plain numbers: per unit, per person, by week."""
    gm = people["gm"]
    month = parse_period("2026-11")
    units = {
        unit.code: {code: (f.numerator, f.denominator) for code, f in row.items()}
        for unit, row in selectors.figures_by_unit(gm, month.start, month.end)
    }
    persons = {
        person.username: {code: (f.numerator, f.denominator) for code, f in row.items()}
        for person, row in selectors.figures_by_person(
            gm, month.start, month.end, unit=org["company"]
        )
    }
    weeks = [parse_period(code) for code in ("2026-W43", "2026-W44", "2026-W45", "2026-W46")]
    trend = {
        code: [(f.numerator, f.denominator) for f in row]
        for code, row in selectors.figures_by_week(gm, org["company"], weeks, list(KPIS)).items()
    }
    return units, persons, trend


COUNTED_AT = datetime(2026, 11, 25, 9, tzinfo=SH)


def test_counted_days_give_the_figures_counted_live(world, org, people):
    live = _everything(people, org)
    assert live[0]["E"]["callback_rate"] == (3, 4)
    stored = services.count_days(date(2026, 10, 1), date(2026, 11, 30), now=COUNTED_AT)
    assert stored > 0
    assert _everything(people, org) == live
    month = parse_period("2026-11")
    east = {
        f.kpi.code: f
        for f in selectors.figures(people["gm"], month.start, month.end, unit=org["east"])
    }
    for code, expected in EXPECTED_EAST.items():
        assert (east[code].numerator, east[code].denominator) == expected, code
        assert east[code].counted_at == COUNTED_AT
        rows = selectors.kpi_rows(
            people["gm"], code, "denominator", month.start, month.end, unit=org["east"]
        )
        assert len(list(rows)) == east[code].denominator
    # Counting again replaces the counts: nothing doubles.
    before = DayCount.objects.count()
    services.count_days(date(2026, 11, 1), date(2026, 11, 30), now=COUNTED_AT)
    assert DayCount.objects.count() == before
    assert _everything(people, org) == live


def test_a_period_partly_counted_adds_the_live_days(world, org, people):
    live = _everything(people, org)
    # The fixture's November rows are on the 10th: count around it, not it.
    services.count_days(date(2026, 11, 11), date(2026, 11, 30), now=COUNTED_AT)
    services.count_days(date(2026, 10, 1), date(2026, 11, 9), now=COUNTED_AT)
    assert _everything(people, org) == live
    # A period not on day boundaries counts its partial days live.
    start = datetime(2026, 11, 10, 9, tzinfo=SH)
    end = datetime(2026, 11, 30, 12, tzinfo=SH)
    services.count_days(date(2026, 11, 10), date(2026, 11, 10), now=COUNTED_AT)
    figure = selectors.figures(people["gm"], start, end, unit=org["east"], codes=["callback_rate"])[
        0
    ]
    assert (figure.numerator, figure.denominator) == (3, 4)
    after_ten = selectors.figures(
        people["gm"],
        datetime(2026, 11, 10, 11, tzinfo=SH),
        end,
        unit=org["east"],
        codes=["callback_rate"],
    )[0]
    assert after_ten.denominator == 0


def test_a_counted_day_shows_its_counts_until_recounted(world, org, people):
    month = parse_period("2026-11")
    services.count_days(date(2026, 11, 1), date(2026, 11, 30), now=COUNTED_AT)
    CallbackTask.objects.filter(case=world["E"]).update(
        status=CallbackTask.Status.DONE, outcome="satisfied"
    )

    def callbacks():
        figure = selectors.figures(
            people["gm"], month.start, month.end, unit=org["east"], codes=["callback_rate"]
        )[0]
        return figure.numerator, figure.denominator, figure.counted_at

    assert callbacks() == (3, 4, COUNTED_AT)
    later = COUNTED_AT + timedelta(hours=1)
    call_command(
        "count_kpis",
        "--to",
        "2026-11-30",
        "--days",
        "30",
        "--now",
        later.isoformat(),
        stdout=StringIO(),
    )
    assert callbacks() == (4, 4, later)
    assert (
        len(
            list(
                selectors.kpi_rows(
                    people["gm"],
                    "callback_rate",
                    "numerator",
                    month.start,
                    month.end,
                    unit=org["east"],
                )
            )
        )
        == 4
    )


def test_the_count_command_refuses_bad_days(db):
    for arguments in (
        ["--from", "2026-13-01"],
        ["--from", "2026-11-30", "--to", "2026-11-01"],
        ["--days", "0"],
    ):
        with pytest.raises(CommandError):
            call_command("count_kpis", *arguments, stdout=StringIO())


def test_the_daily_job_counts_the_recent_days_and_backfills_older_ones(
    world, org, people, settings
):
    """A new installation: the daily job counts the last days and, each run, a month of
    the history never counted, most recent first, until every day is counted."""
    from utilitydesk.kpis.models import CountedDay
    from utilitydesk.kpis.tasks import recount_recent_task

    settings.KPI_RECOUNT_DAYS = 5
    now = datetime(2026, 11, 30, 9, tzinfo=SH)
    with patch_now(now):
        recount_recent_task()
    counted = set(CountedDay.objects.values_list("day", flat=True))
    # The fixture's first row is on October 20th: 5 recent days, then the 31 before them.
    assert date(2026, 11, 30) in counted and date(2026, 11, 26) in counted
    assert date(2026, 10, 26) in counted and date(2026, 10, 25) not in counted
    assert len(counted) == 36
    with patch_now(now):
        recount_recent_task()
    assert CountedDay.objects.filter(day=date(2026, 10, 20)).exists()
    month = parse_period("2026-11")
    figure = selectors.figures(
        people["gm"], month.start, month.end, unit=org["east"], codes=["callback_rate"]
    )[0]
    assert (figure.numerator, figure.denominator) == (3, 4) and figure.counted_at == now


def patch_now(moment):
    from unittest import mock

    return mock.patch("django.utils.timezone.now", return_value=moment)
