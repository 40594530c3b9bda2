"""The roster (R-1001, R-206): publishing is refused, naming the days, when a holiday has
no manager on duty or a heating-season day is not staffed around the clock; outside the
season the hotline hours of working days suffice. Substitutes keep the person rostered."""

from datetime import date, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.duty import selectors, services
from utilitydesk.duty.models import DutyRole, RosterStatus, Shift
from utilitydesk.policy import services as policy

from .conftest import JAN_FIRST, at, put_on, staffed_roster

pytestmark = pytest.mark.django_db


def refusal(roster_id, actor) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        services.publish_roster(roster_id, actor=actor)
    return refused.value.message_dict["roster"]


def test_a_fully_staffed_roster_is_published(duty):
    roster = staffed_roster(duty)
    published = services.publish_roster(roster.pk, actor=duty["office"], now=at(JAN_FIRST, 9))
    assert published.status == RosterStatus.PUBLISHED
    assert published.published_by == duty["office"]


def test_holidays_without_a_manager_are_named(duty):
    roster = staffed_roster(duty, managers=False)
    problems = refusal(roster.pk, duty["office"])
    assert problems == ["以下节假日无管理人员值班（R-1001）：2026-01-01、2026-01-02、2026-01-03"]
    assert roster.__class__.objects.get(pk=roster.pk).status == RosterStatus.DRAFT


def test_a_manager_on_one_holiday_only_leaves_the_others_named(duty):
    roster = staffed_roster(duty, managers=False)
    put_on(duty, roster, duty["director"], duty["night"], DutyRole.MANAGER, date(2026, 1, 2))
    assert refusal(roster.pk, duty["office"]) == [
        "以下节假日无管理人员值班（R-1001）：2026-01-01、2026-01-03"
    ]


def test_season_days_without_a_night_agent_are_named(duty):
    roster = staffed_roster(duty, first=date(2026, 1, 1), last=date(2026, 1, 5), nights=False)
    night = duty["night"]
    put_on(duty, roster, duty["agent2"], night, DutyRole.AGENT, date(2026, 1, 1), date(2026, 1, 3))
    # The manager on the night shift does not answer the hotline: 4 January stays uncovered.
    put_on(duty, roster, duty["director"], night, DutyRole.MANAGER, date(2026, 1, 4))
    assert refusal(roster.pk, duty["office"]) == [
        "以下供暖季日期未安排 24 小时坐席值班（R-206）：2026-01-04、2026-01-05"
    ]


def test_both_rules_are_reported_together(duty):
    roster = staffed_roster(
        duty, first=date(2026, 1, 1), last=date(2026, 1, 2), managers=False, nights=False
    )
    problems = refusal(roster.pk, duty["office"])
    assert len(problems) == 2
    assert "2026-01-01、2026-01-02" in problems[0] and "R-1001" in problems[0]
    assert "R-206" in problems[1]


def test_outside_the_season_the_hotline_hours_of_working_days_suffice(duty):
    # October 2026: off season; 1–7 October are the National Day holidays, 10 October a
    # make-up working day (Saturday).
    office = duty["office"]
    roster = services.create_roster(
        duty["unit"].pk, date(2026, 10, 1), date(2026, 10, 31), actor=office
    )
    calendar = policy.calendar()
    working = [d for d in (date(2026, 10, n) for n in range(1, 32)) if calendar.is_working_day(d)]
    assert date(2026, 10, 10) in working and date(2026, 10, 3) not in working
    for day in working:
        put_on(duty, roster, duty["agent"], duty["day"], DutyRole.AGENT, day)
    put_on(
        duty,
        roster,
        duty["director"],
        duty["day"],
        DutyRole.MANAGER,
        date(2026, 10, 1),
        date(2026, 10, 7),
    )
    assert services.publish_roster(roster.pk, actor=office).status == RosterStatus.PUBLISHED


def test_a_short_day_shift_misses_the_hotline_hours_outside_the_season(duty):
    office = duty["office"]
    short = Shift.objects.create(code="am", name="早班", starts=time(8), ends=time(12), order=3)
    roster = services.create_roster(
        duty["unit"].pk, date(2026, 4, 13), date(2026, 4, 14), actor=office
    )
    put_on(duty, roster, duty["agent"], short, DutyRole.AGENT, date(2026, 4, 13))
    put_on(duty, roster, duty["agent"], duty["day"], DutyRole.SHIFT_LEADER, date(2026, 4, 14))
    assert refusal(roster.pk, office) == [
        "以下工作日热线服务时间 08:00-17:30 内无坐席值班（R-206）：2026-04-13"
    ]


def test_a_year_without_a_calendar_cannot_be_checked(duty):
    roster = staffed_roster(duty, first=date(2031, 1, 1), last=date(2031, 1, 3))
    problems = refusal(roster.pk, duty["office"])
    assert any("2031" in p and "工作日历" in p for p in problems)


def test_only_roster_keepers_edit_and_publish(duty):
    with pytest.raises(PermissionDenied):
        services.create_roster(duty["unit"].pk, JAN_FIRST, JAN_FIRST, actor=duty["agent"])
    roster = staffed_roster(duty)
    with pytest.raises(PermissionDenied):
        services.publish_roster(roster.pk, actor=duty["agent"])


def test_who_may_be_rostered(duty, people):
    roster = services.create_roster(duty["unit"].pk, JAN_FIRST, JAN_FIRST, actor=duty["office"])
    day = duty["day"]
    with pytest.raises(ValidationError) as refused:
        put_on(duty, roster, duty["agent"], day, DutyRole.MANAGER, JAN_FIRST)
    assert "部门负责人" in refused.value.message_dict["person"][0]
    with pytest.raises(ValidationError) as refused:
        put_on(duty, roster, people["tech"], day, DutyRole.AGENT, JAN_FIRST)
    assert "person" in refused.value.message_dict
    # The general manager may be the manager on duty of any service centre.
    put_on(duty, roster, people["gm"], day, DutyRole.MANAGER, JAN_FIRST)


def test_a_published_roster_is_not_edited(published, duty):
    with pytest.raises(ValidationError):
        put_on(duty, published, duty["agent3"], duty["day"], DutyRole.AGENT, JAN_FIRST)


def test_a_substitute_takes_the_shift_and_the_original_stays_visible(published, duty):
    entry = published.entries.get(day=date(2026, 1, 10), shift=duty["night"])
    assert selectors.is_on_duty(duty["agent2"], duty["unit"], entry.day, duty["night"])
    services.substitute(
        entry.pk,
        substitute_id=duty["agent3"].pk,
        reason="家中有事请假",
        actor=duty["office"],
        now=at(date(2026, 1, 9), 15),
    )
    entry.refresh_from_db()
    assert entry.person == duty["agent2"]  # the original, kept
    assert (entry.substitute, entry.substitute_reason) == (duty["agent3"], "家中有事请假")
    assert entry.substituted_by == duty["office"]
    assert entry.substituted_at == at(date(2026, 1, 9), 15)
    assert entry.on_duty == duty["agent3"]
    assert selectors.is_on_duty(duty["agent3"], duty["unit"], entry.day, duty["night"])
    assert not selectors.is_on_duty(duty["agent2"], duty["unit"], entry.day, duty["night"])
    with pytest.raises(ValidationError) as refused:
        services.substitute(
            entry.pk, substitute_id=duty["agent"].pk, reason="再换", actor=duty["office"]
        )
    assert "entry" in refused.value.message_dict


def test_a_substitute_needs_a_reason_and_someone_not_on_the_shift(published, duty):
    entry = published.entries.get(day=date(2026, 1, 10), shift=duty["night"])
    with pytest.raises(ValidationError) as refused:
        services.substitute(
            entry.pk, substitute_id=duty["agent2"].pk, reason="", actor=duty["office"]
        )
    assert set(refused.value.message_dict) == {"reason", "substitute"}
    manager = published.entries.get(day=date(2026, 1, 1), role=DutyRole.MANAGER)
    with pytest.raises(ValidationError) as refused:
        services.substitute(
            manager.pk, substitute_id=duty["agent3"].pk, reason="休假", actor=duty["office"]
        )
    assert "substitute" in refused.value.message_dict


def test_shift_of_a_moment_and_the_next_shift(duty):
    day, night = duty["day"], duty["night"]
    assert selectors.shift_at(at(date(2026, 1, 5), 9)) == (date(2026, 1, 5), day)
    assert selectors.shift_at(at(date(2026, 1, 5), 21)) == (date(2026, 1, 5), night)
    assert selectors.shift_at(at(date(2026, 1, 6), 3)) == (date(2026, 1, 5), night)
    assert selectors.shift_at(at(date(2026, 1, 6), 8)) == (date(2026, 1, 6), day)
    assert selectors.next_shift(date(2026, 1, 5), day) == (date(2026, 1, 5), night)
    assert selectors.next_shift(date(2026, 1, 5), night) == (date(2026, 1, 6), day)
