"""Deadline arithmetic (R-408), pure: no database, time zone Asia/Shanghai.

- Clock hours run from the moment of receipt, nights and holidays included.
- Days do not count the day of receipt; counting starts the next day and the limit ends
  at 24:00 of the last day (returned as 00:00 of the following day).
- Working days count only working days of the calendar (statutory holidays off, make-up
  working days on). A day in a year the calendar does not know falls back to "Monday to
  Friday" and makes the result provisional.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
HOURS, NATURAL_DAYS, WORKING_DAYS = "hours", "natural_days", "working_days"
UNITS = (HOURS, NATURAL_DAYS, WORKING_DAYS)


class Calendar(Protocol):
    def knows(self, year: int) -> bool: ...

    def is_working_day(self, day: date) -> bool: ...


@dataclass(frozen=True)
class Limit:
    name: str
    amount: float
    unit: str


@dataclass(frozen=True)
class Deadline:
    name: str
    due_at: datetime
    provisional: bool


class WeekendsOnly:
    """The fallback calendar: Monday to Friday are working days, every year 'unknown'."""

    def knows(self, year: int) -> bool:
        return False

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5


class TableCalendar:
    """A calendar from exception days (holidays on weekdays, make-up working days on
    weekends) for the years it knows."""

    def __init__(self, years: set[int], holidays: set[date], workdays: set[date]):
        self.years, self.holidays, self.workdays = years, holidays, workdays

    def knows(self, year: int) -> bool:
        return year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


def _end_of_local_day(day: date) -> datetime:
    """24:00 of ``day``, i.e. 00:00 of the next day, in Asia/Shanghai."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL)


def compute(received: datetime, limit: Limit, calendar: Calendar) -> Deadline:
    if received.tzinfo is None:
        raise ValueError("received must be timezone-aware")
    if limit.amount <= 0:
        raise ValueError("a limit must be positive")
    if limit.unit == HOURS:
        return Deadline(limit.name, received + timedelta(hours=limit.amount), False)
    day = received.astimezone(LOCAL).date()
    count = int(limit.amount)
    if limit.unit == NATURAL_DAYS:
        return Deadline(limit.name, _end_of_local_day(day + timedelta(days=count)), False)
    if limit.unit != WORKING_DAYS:
        raise ValueError(f"unknown unit {limit.unit}")
    provisional = False
    counted = 0
    while counted < count:
        day += timedelta(days=1)
        if not calendar.knows(day.year):
            provisional = True
            working = WeekendsOnly().is_working_day(day)
        else:
            working = calendar.is_working_day(day)
        if working:
            counted += 1
    return Deadline(limit.name, _end_of_local_day(day), provisional)


def compute_all(received: datetime, limits: list[Limit], calendar: Calendar) -> list[Deadline]:
    return [compute(received, limit, calendar) for limit in limits]
