"""Each report's content against the hand-counted fixture (conftest.world), and the
assessment score against hand arithmetic."""

from decimal import Decimal

import pytest

from utilitydesk.kpis.definitions import KPIS
from utilitydesk.kpis.periods import parse_period
from utilitydesk.kpis.selectors import Figure
from utilitydesk.policy.services import current_policy
from utilitydesk.reports import content
from utilitydesk.reports.models import ReportKind


def part(sections, key):
    return next(s for s in sections if s["key"] == key)


def table(sections, key):
    """The section's rows keyed by their first cell."""
    return {row[0]: row[1:] for row in part(sections, key)["rows"]}


def value(cell):
    return None if cell["value"] is None else Decimal(cell["value"])


def test_weekly_report_of_the_company(world, org):
    sections = content.weekly_report(org["company"], parse_period("2026-W46"), current_policy())
    by_kind = table(sections, "intake_by_kind")
    # Cases: repairs A, B, G and complaints E, F (D is October's). Contacts: two
    # consultations, a fee enquiry, a repair call.
    assert by_kind["维修"] == [3, 1]
    assert by_kind["投诉"] == [2, 0]
    assert by_kind["咨询"] == [0, 2]
    assert by_kind["合计"] == [5, 4]
    by_channel = table(sections, "intake_by_channel")
    assert by_channel["热线电话"] == [3, 3]
    assert by_channel["微信"] == [1, 1]
    assert by_channel["来信"] == [1, 0]
    timeliness = {row[0]: row for row in part(sections, "timeliness")["rows"]}
    on_site = timeliness[str(KPIS["repair_on_site_timeliness"].label)]
    # On site: A on time; B and G breached → 1 of 3.
    assert on_site[2:4] == [3, 1]
    assert value(on_site[4]) == Decimal("0.3333")
    assert on_site[4]["colour"] == "red"
    resolved = timeliness[str(KPIS["repair_resolution_timeliness"].label)]
    assert resolved[2:4] == [3, 2]  # B late; G has no resolution deadline
    complaints = timeliness[str(KPIS["complaint_timeliness"].label)]
    assert complaints[2:4] == [2, 1]
    by_category = table(sections, "complaints")
    assert by_category["维修"] == [1, 1]  # E received and valid
    assert by_category["供热质量"] == [1, 0]  # F set aside on appeal
    assert by_category["合计"] == [2, 1]
    callbacks = table(sections, "callback_counts")
    assert callbacks["应回访"] == [3]
    assert callbacks["已联系上"] == [2]
    assert callbacks["联系不上已关闭"] == [1]
    assert callbacks["满意"] == [1]
    assert callbacks["不满意"] == [1]
    rates = {row[0]: row for row in part(sections, "callback_rates")["rows"]}
    assert value(rates[str(KPIS["callback_rate"].label)][4]) == Decimal("1")
    assert value(rates[str(KPIS["satisfaction_rate"].label)][4]) == Decimal("0.5")
    assert part(sections, "top_questions")["rows"] == [["供暖期是哪几个月？", 2]]
    assert part(sections, "top_buildings")["rows"][0][1:] == ["1号楼", 2]
    actions = part(sections, "actions")["rows"]
    assert [(row[0], row[4]) for row in actions] == [(world["E"].number, "加强维修质量培训")]


def test_weekly_report_of_a_station_counts_its_own_rows(world, org):
    sections = content.weekly_report(org["east"], parse_period("2026-W46"), current_policy())
    by_kind = table(sections, "intake_by_kind")
    # A (its team), B, E, F; the only contact is A's repair call.
    assert by_kind["合计"] == [4, 1]
    assert table(sections, "callback_counts")["应回访"] == [2]
    assert part(sections, "top_questions")["rows"] == []


def test_supervision_report(world, org):
    sections = content.supervision_report(org["company"], parse_period("2026-11"), current_policy())
    kpis = part(sections, "kpis_by_unit")
    names = [row[0] for row in kpis["rows"]]
    assert names == ["热力公司", "客服中心", "服务办", "城东供热所", "城西供热所"]
    on_site = list(KPIS).index("repair_on_site_timeliness") + 1
    rows = {row[0]: row for row in kpis["rows"]}
    assert value(rows["城东供热所"][on_site]) == Decimal("0.5")  # A on time, B not
    assert value(rows["城西供热所"][on_site]) == Decimal("0")
    assert "≥90%" in kpis["columns"][on_site]["label"]
    overdue = table(sections, "overdue_by_unit")
    # Breached in November: B on site, F resolution (east), G on site (west).
    assert overdue["热力公司"] == [3, 0]
    assert overdue["城东供热所"] == [2, 0]
    assert overdue["城西供热所"] == [1, 0]
    assert len(part(sections, "overdue")["rows"]) == 3
    held = table(sections, "complaints_by_unit")
    assert held["城东供热所"][0] == 1 and held["城东供热所"][-1] == 1
    assert held["城西供热所"][-1] == 0
    assert [row[0] for row in part(sections, "complaints")["rows"]] == [world["E"].number]


def test_callback_report(world, org):
    sections = content.callback_report(org["company"], parse_period("2026-11"), current_policy())
    by_unit = table(sections, "by_unit")
    east = by_unit["城东供热所"]
    assert east[0:2] == [2, 2]  # due, made
    assert east[3:5] == [2, 1]  # reached, satisfied
    assert value(east[5]) == Decimal("0.5")
    assert east[6] == 1  # dissatisfied
    west = by_unit["城西供热所"]
    assert west[0:2] == [1, 1] and west[3] == 0 and value(west[5]) is None
    dissatisfied = part(sections, "dissatisfied")
    assert [row[:4] for row in dissatisfied["rows"]] == [
        [world["B"].number, "城东供热所", "不满意", "维修不彻底"]
    ]
    # No customer personal data in the list.
    assert [c["label"] for c in dissatisfied["columns"]] == [
        "工单",
        "单位",
        "结果",
        "意见",
        "回访时间",
    ]


def test_consultation_summary(world, org):
    sections = content.consultation_summary(
        org["company"], parse_period("2026-Q4"), current_policy()
    )
    by_kind = table(sections, "by_kind")
    # Consultations: two in November, one in October, all answered on the spot; the fee
    # enquiry was passed on.
    assert by_kind["咨询"] == [3, 3, "1.0000"]
    assert by_kind["热费"] == [1, 0, "0.0000"]
    assert by_kind["合计"] == [4, 3, "0.7500"]
    assert table(sections, "by_channel")["热线电话"] == [3, 3, "1.0000"]
    questions = table(sections, "top_questions")
    assert questions["供暖期是哪几个月？"] == [2, 2, "1.0000"]
    assert questions["如何办理报停？"] == [1, 1, "1.0000"]
    assert list(questions.values())[-1] == [1, 0, "0.0000"]  # no entry used


# --- the assessment -----------------------------------------------------------------------


def _figure(code, numerator, denominator, target):
    return Figure(KPIS[code], numerator, denominator, Decimal(target), Decimal("0.05"))


def test_points_in_proportion_capped_and_full_without_data():
    weight = Decimal("15")
    # 80 % against 90 %: 15 × 0.8 / 0.9 = 13.33.
    assert content.kpi_points(_figure("repair_on_site_timeliness", 8, 10, "0.90"), weight) == (
        Decimal("13.33")
    )
    assert content.kpi_points(_figure("repair_on_site_timeliness", 10, 10, "0.90"), weight) == 15
    # Valid complaints 2 % against ≤ 1 %: 15 × 0.01 / 0.02 = 7.50.
    assert content.kpi_points(_figure("valid_complaint_rate", 2, 100, "0.01"), weight) == (
        Decimal("7.50")
    )
    assert content.kpi_points(_figure("valid_complaint_rate", 0, 100, "0.01"), weight) == 15
    assert content.kpi_points(_figure("callback_rate", 0, 0, "0.90"), weight) == 15


def test_score_deducts_per_event_and_never_falls_below_zero():
    found = {
        "repair_on_site_timeliness": _figure("repair_on_site_timeliness", 8, 10, "0.90"),
        "callback_rate": _figure("callback_rate", 9, 10, "0.90"),
    }
    weights = {"repair_on_site_timeliness": "15", "callback_rate": "10"}
    deductions = {"valid_complaint": "2", "breached_deadline": "0.5", "entry_error": "0.5"}
    result = content.assess(
        found, {"valid_complaint": 1, "breached_deadline": 3, "entry_error": 2}, weights, deductions
    )
    # 13.33 + 10 = 23.33; 1 × 2 + 3 × 0.5 + 2 × 0.5 = 4.50; 23.33 − 4.50 = 18.83.
    assert result.kpi_points == Decimal("23.33")
    assert result.deductions == Decimal("4.50")
    assert result.score == Decimal("18.83")
    floored = content.assess(found, {"valid_complaint": 20}, weights, deductions)
    assert floored.deductions == Decimal("40.00")
    assert floored.score == Decimal("0.00")


def test_assessment_of_units_and_people(world, org, people):
    units, persons = content.assessment_scores(
        org["company"], parse_period("2026-11"), current_policy()
    )
    by_unit = {u.code: r for u, r in units}
    assert set(by_unit) == {"CO", "SC", "SO", "E", "W", "E-T1"}
    west = by_unit["W"]
    # West: on site 0/1 → 0; resolution 1/1 → 15; complaints none → 15; callbacks 1/1
    # → 10; satisfaction nobody reached → 20; valid complaints 0/1 → 15; first contact
    # and entry errors nothing counted → 5 + 5. 85 − one breach × 0.5 = 84.50.
    assert west.points["repair_on_site_timeliness"] == 0
    assert west.kpi_points == Decimal("85.00")
    assert west.events == {"valid_complaint": 0, "breached_deadline": 1, "entry_error": 0}
    assert west.score == Decimal("84.50")
    tech = {p.username: r for p, r in persons}["tech"]
    # The technician (assignee of A and B): on site 1/2 → 15 × 0.5 / 0.9 = 8.33; resolved
    # 1/2 → 8.33; complaints none → 15; callbacks (the agent's) none → 10; satisfaction
    # 1/2 → 20 × 0.5 / 0.98 = 10.20; valid complaints 1 of 2 cases → 15 × 0.01 / 0.5 =
    # 0.30; first contact, entry errors none → 5 + 5. 62.16 − (2 + 0.5) = 59.66.
    assert tech.points["satisfaction_rate"] == Decimal("10.20")
    assert tech.points["valid_complaint_rate"] == Decimal("0.30")
    assert tech.kpi_points == Decimal("62.16")
    assert tech.events == {"valid_complaint": 1, "breached_deadline": 1, "entry_error": 0}
    assert tech.score == Decimal("59.66")


def test_assessment_table_sections(world, org):
    sections = content.assessment_table(org["company"], parse_period("2026-11"), current_policy())
    people = {row[0]: row for row in part(sections, "people")["rows"]}
    assert people["王小明 (tech)"][-1] == "59.66"
    units = table(sections, "units")
    assert units["城西供热所"][-1] == "84.50"
    rules = table(sections, "rules")
    assert rules["合计"][-1] == "100.00"


def test_build_has_heading(world, org):
    built = content.build(ReportKind.WEEKLY, org["east"], parse_period("2026-W46"), None)
    assert built["unit"]["name"] == "城东供热所"
    assert built["period"]["code"] == "2026-W46"
    assert built["policy"] is None


@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_report_builds_on_an_empty_month(org, kind):
    period = {
        ReportKind.WEEKLY: "2026-W46",
        ReportKind.CONSULTATION: "2026-Q4",
    }.get(kind, "2026-11")
    built = content.build(kind, org["company"], parse_period(period), current_policy())
    assert built["sections"]


def test_assessment_queries_do_not_grow_with_units_and_people(world, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UnitFactory, staff
    from utilitydesk.org.models import Position, UnitKind

    period, policy = parse_period("2026-11"), current_policy()
    with CaptureQueriesContext(connection) as before:
        content.assessment_scores(org["company"], period, policy)
    for n in range(5):
        station = UnitFactory(
            code=f"S{n}", name=f"站{n}", kind=UnitKind.STATION, parent=org["company"]
        )
        for m in range(4):
            staff(f"t{n}{m}", Position.TECHNICIAN, station)
    with CaptureQueriesContext(connection) as after:
        _units, people = content.assessment_scores(org["company"], period, policy)
    assert len(people) > 20
    assert len(after.captured_queries) <= len(before.captured_queries)
