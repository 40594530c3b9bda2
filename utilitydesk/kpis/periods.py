"""The periods KPIs are counted over: a day, an ISO week, a month, a quarter or a heating
season, as dates in Asia/Shanghai and as the aware [start, end) the queries use.

Codes (the API's `period=`): 2026-11-24 (day), 2026-W48 (week), 2026-11 (month),
2026-Q4 (quarter), 2026-S (the heating season starting in 2026, dates from the policy)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import current_policy


class PeriodKind(models.TextChoices):
    DAY = "day", gettext_lazy("Day")
    WEEK = "week", gettext_lazy("Week")
    MONTH = "month", gettext_lazy("Month")
    QUARTER = "quarter", gettext_lazy("Quarter")
    SEASON = "season", gettext_lazy("Heating season")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.DAY:
            return self.first.isoformat()
        if self.kind == PeriodKind.WEEK:
            year, week, _day = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year}-S"

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.DAY:
            return self.first.isoformat()
        if self.kind == PeriodKind.WEEK:
            year, week, _day = self.first.isocalendar()
            return _("%(year)s week %(week)s (%(first)s – %(last)s)") % {
                "year": year,
                "week": week,
                "first": self.first.isoformat(),
                "last": self.last.isoformat(),
            }
        if self.kind == PeriodKind.MONTH:
            return _("%(year)s-%(month)02d") % {"year": self.first.year, "month": self.first.month}
        if self.kind == PeriodKind.QUARTER:
            return _("%(year)s Q%(quarter)s") % {
                "year": self.first.year,
                "quarter": (self.first.month - 1) // 3 + 1,
            }
        return _("Heating season %(first)s – %(last)s") % {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }

    def previous(self) -> "Period":
        return period_containing(self.kind, self.first - timedelta(days=1))

    def next(self) -> "Period":
        return period_containing(self.kind, self.last + timedelta(days=1))


def _season_dates(policy: PolicyVersion | None) -> tuple[tuple[int, int], tuple[int, int]]:
    start = (policy.season_start if policy else "11-15").split("-")
    end = (policy.season_end if policy else "03-20").split("-")
    return (int(start[0]), int(start[1])), (int(end[0]), int(end[1]))


def season(first_year: int, policy: PolicyVersion | None = None) -> Period:
    (start_month, start_day), (end_month, end_day) = _season_dates(policy or current_policy())
    first = date(first_year, start_month, start_day)
    last_year = first_year + 1 if (end_month, end_day) < (start_month, start_day) else first_year
    return Period(PeriodKind.SEASON, first, date(last_year, end_month, end_day))


def period_containing(
    kind: PeriodKind | str, day: date, policy: PolicyVersion | None = None
) -> Period:
    kind = PeriodKind(kind)
    if kind == PeriodKind.DAY:
        return Period(kind, day, day)
    if kind == PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    if kind == PeriodKind.MONTH:
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == PeriodKind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        return Period(kind, date(day.year, first_month, 1), _month_end(day.year, first_month + 2))
    # The season that holds the day, or the last one that ended before it.
    for year in (day.year, day.year - 1):
        candidate = season(year, policy)
        if candidate.first <= day:
            return candidate
    return season(day.year - 1, policy)


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), PeriodKind.DAY),
    (re.compile(r"^(\d{4})-W(\d{2})$"), PeriodKind.WEEK),
    (re.compile(r"^(\d{4})-(\d{2})$"), PeriodKind.MONTH),
    (re.compile(r"^(\d{4})-Q([1-4])$"), PeriodKind.QUARTER),
    (re.compile(r"^(\d{4})-S$"), PeriodKind.SEASON),
]


def parse_period(code: str, policy: PolicyVersion | None = None) -> Period:
    """A period from its code; ValueError (with the accepted forms) for anything else,
    or a year outside 2000–2100."""
    for pattern, kind in _PATTERNS:
        match = pattern.match(code.strip())
        if not match:
            continue
        numbers = [int(group) for group in match.groups()]
        if not 2000 <= numbers[0] <= 2100:
            break
        try:
            if kind == PeriodKind.DAY:
                return period_containing(kind, date(*numbers))
            if kind == PeriodKind.WEEK:
                return period_containing(kind, date.fromisocalendar(numbers[0], numbers[1], 1))
            if kind == PeriodKind.MONTH:
                return period_containing(kind, date(numbers[0], numbers[1], 1))
            if kind == PeriodKind.QUARTER:
                return period_containing(kind, date(numbers[0], numbers[1] * 3 - 2, 1))
            return season(numbers[0], policy)
        except ValueError:
            break
    raise ValueError(
        _(
            "A period is a day (2026-11-24), a week (2026-W48), a month (2026-11), a quarter (2026-Q4) or a heating season (2026-S), years 2000 to 2100."
        )
    )
