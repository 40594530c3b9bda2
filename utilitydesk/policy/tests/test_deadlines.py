"""R-408 deadline arithmetic: the pure module, with hypothesis and the tricky dates."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from utilitydesk.policy.deadlines import (
    HOURS,
    NATURAL_DAYS,
    WORKING_DAYS,
    Limit,
    TableCalendar,
    WeekendsOnly,
    compute,
)

SH = ZoneInfo("Asia/Shanghai")
KNOWN_YEARS = {d.year for d in constants.holidays}
CALENDAR = TableCalendar(KNOWN_YEARS, set(constants.holidays), set(constants.workdays))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def due(received, amount, unit, calendar=CALENDAR):
    return compute(received, Limit("x", amount, unit), calendar)


def test_the_r408_example():
    result = due(at(2026, 9, 18, 17, 0), 3, WORKING_DAYS)
    assert result.due_at == at(2026, 9, 23, 0, 0)  # 24:00 of Tuesday 2026-09-22
    assert not result.provisional


def test_make_up_sunday_counts_as_a_working_day():
    assert CALENDAR.is_working_day(date(2026, 9, 20))  # Sunday, 调休 for National Day
    assert due(at(2026, 9, 19, 10, 0), 1, WORKING_DAYS).due_at == at(2026, 9, 21, 0, 0)


def test_national_day_week_is_skipped():
    # Received on 30 September 2026: 1–7 October are holidays.
    result = due(at(2026, 9, 30, 9, 0), 1, WORKING_DAYS)
    assert result.due_at.astimezone(SH).date() == date(2026, 10, 9)  # 24:00 of 8 October


def test_spring_festival():
    # Spring Festival 2026: 15–23 February off, with make-up days around it.
    result = due(at(2026, 2, 13, 16, 0), 2, WORKING_DAYS)
    last_day = (result.due_at - timedelta(microseconds=1)).date()
    assert CALENDAR.is_working_day(last_day) and last_day >= date(2026, 2, 14)
    days = [
        date(2026, 2, 14) + timedelta(n) for n in range((last_day - date(2026, 2, 14)).days + 1)
    ]
    assert sum(CALENDAR.is_working_day(d) for d in days) == 2


def test_new_years_eve_into_an_unknown_year_is_provisional_not_an_error():
    result = due(at(2026, 12, 31, 15, 0), 3, WORKING_DAYS)
    assert result.provisional
    assert result.due_at == at(2027, 1, 6, 0, 0)  # weekends only: Fri 1, Mon 4, Tue 5


def test_natural_days_do_not_count_the_day_of_receipt():
    assert due(at(2026, 9, 18, 23, 59), 1, NATURAL_DAYS).due_at == at(2026, 9, 20, 0, 0)
    assert due(at(2026, 10, 1, 0, 0), 2, NATURAL_DAYS).due_at == at(2026, 10, 4, 0, 0)


def test_hours_ignore_nights_and_holidays():
    assert due(at(2026, 10, 1, 23, 30), 1, HOURS).due_at == at(2026, 10, 2, 0, 30)
    assert due(at(2026, 10, 1, 9, 0), 0.5, HOURS).due_at == at(2026, 10, 1, 9, 30)


received_times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(SH)
)
units = st.sampled_from([HOURS, NATURAL_DAYS, WORKING_DAYS])
amounts = st.integers(min_value=1, max_value=15)


@settings(max_examples=300, deadline=None)
@given(
    received_times,
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    amounts,
    units,
)
def test_a_later_receipt_never_gets_an_earlier_deadline(received, later_by, amount, unit):
    assert due(received + later_by, amount, unit).due_at >= due(received, amount, unit).due_at


@settings(max_examples=300, deadline=None)
@given(received_times, amounts)
def test_working_day_deadline_ends_on_a_working_day_at_midnight(received, amount):
    result = due(received, amount, WORKING_DAYS)
    local = result.due_at.astimezone(SH)
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    last_day = (local - timedelta(microseconds=1)).date()
    calendar = CALENDAR if last_day.year in KNOWN_YEARS else WeekendsOnly()
    assert calendar.is_working_day(last_day)
    assert last_day > received.astimezone(SH).date()


@settings(max_examples=300, deadline=None)
@given(received_times, st.integers(min_value=1, max_value=200))
def test_clock_hours_ignore_the_calendar(received, hours):
    everything_off = TableCalendar(
        KNOWN_YEARS, {received.date() + timedelta(n) for n in range(20)}, set()
    )
    assert due(received, hours, HOURS, everything_off).due_at == received + timedelta(hours=hours)
    assert not due(received, hours, HOURS).provisional


@settings(max_examples=200, deadline=None)
@given(received_times, amounts)
def test_working_days_never_end_before_as_many_natural_days(received, amount):
    assert due(received, amount, WORKING_DAYS).due_at >= due(received, amount, NATURAL_DAYS).due_at


def test_naive_times_and_bad_limits_are_refused():
    with pytest.raises(ValueError):
        compute(datetime(2026, 1, 1), Limit("x", 1, HOURS), CALENDAR)
    with pytest.raises(ValueError):
        due(at(2026, 1, 1), 0, HOURS)
