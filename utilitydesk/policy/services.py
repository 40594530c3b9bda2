"""Service policy and the working-day calendar: the published version, its limits and
escalation ladder, the calendar, hotline hours; policy edits by administrators. The
deadlines of cases are kept by the cases app (cases/deadlines.py), which reads its limits
here. Policy knows nothing of cases: what cases must do when a calendar year is loaded, and
which years their deadlines fall into, they register here in their ``ready()``."""

import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.audit.services import record_changes
from utilitydesk.org.models import Position

from . import deadlines as arithmetic
from .defaults import (
    DEFAULT_SELFSERVICE_REOPEN_DAYS,
    SELFSERVICE_REOPEN_DAYS_MAX,
    default_exchange_answer_days,
)
from .models import (
    CalendarDay,
    CalendarYear,
    EscalationLevel,
    LimitRule,
    PolicyVersion,
)

# --- what other apps register -----------------------------------------------------------

# Called after a calendar year is loaded; each returns how many deadlines it made final.
_calendar_loaded: list[Callable[[], int]] = []
# Each returns years that deadlines already fall into (they must be in the calendar).
_years_in_use: list[Callable[[], Iterable[int]]] = []


def on_calendar_loaded(reaction: Callable[[], int]) -> Callable[[], int]:
    """Register what to do once a calendar year is loaded (cases: recompute provisional
    deadlines). Called from an app's ``ready()``; registering twice is harmless."""
    if reaction not in _calendar_loaded:
        _calendar_loaded.append(reaction)
    return reaction


def register_years_in_use(source: Callable[[], Iterable[int]]) -> Callable[[], Iterable[int]]:
    """Register a source of years that must be in the calendar (cases: the years of
    provisional deadlines), for ``missing_years``."""
    if source not in _years_in_use:
        _years_in_use.append(source)
    return source


# --- calendar --------------------------------------------------------------------------

_calendar_cache: dict[str, Any] = {"at": 0.0, "calendar": None}
CALENDAR_TTL_SECONDS = 60


def calendar_loaded(year: int) -> bool:
    """Whether the holidays of ``year`` are loaded (the working-day calendar of that year)."""
    return CalendarYear.objects.filter(year=year).exists()


def calendar(refresh: bool = False) -> arithmetic.TableCalendar:
    """The working-day calendar from the database, cached for a minute per process."""
    if (
        refresh
        or _calendar_cache["calendar"] is None
        or _time.monotonic() - _calendar_cache["at"] > CALENDAR_TTL_SECONDS
    ):
        years = set(CalendarYear.objects.values_list("year", flat=True))
        holidays: set[date] = set()
        workdays: set[date] = set()
        for day, kind in CalendarDay.objects.values_list("date", "kind"):
            (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
        _calendar_cache.update(
            at=_time.monotonic(), calendar=arithmetic.TableCalendar(years, holidays, workdays)
        )
    cached: arithmetic.TableCalendar = _calendar_cache["calendar"]
    return cached


# A year's file is refused unless plausible: a year the system can meet, and at least the
# statutory holidays' days off (11 a year until 2024, 13 since; a schedule lists more).
CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR = 2000, 2100
MIN_HOLIDAYS_PER_YEAR = 11


def import_calendar(
    rows: list[tuple[date, str, str]],
    years: set[int],
    source: str,
    *,
    actor: Actor | None,
    now: datetime | None = None,
) -> int:
    """Load the official schedule of whole years (the State Council's notice each autumn).

    ``rows`` are exception days (holiday on a weekday or make-up working day); every row
    must fall in ``years``. Provisional deadlines are recomputed afterwards (by the
    reactions registered with ``on_calendar_loaded``); returns how many became final."""
    now = now or timezone.now()
    if actor is not None and not actor.has_perm("sla.add_calendarday"):
        raise PermissionDenied(_("You are not allowed to load the calendar."))
    errors: list[str] = []
    for year in sorted(years):
        if not CALENDAR_FIRST_YEAR <= year <= CALENDAR_LAST_YEAR:
            errors.append(
                _("%(year)d is not a year the calendar can hold (%(first)d to %(last)d).")
                % {"year": year, "first": CALENDAR_FIRST_YEAR, "last": CALENDAR_LAST_YEAR}
            )
            continue
        holidays = sum(
            1 for day, kind, _n in rows if day.year == year and kind == CalendarDay.Kind.HOLIDAY
        )
        if holidays < MIN_HOLIDAYS_PER_YEAR:
            errors.append(
                _(
                    "%(year)d has %(n)d holidays in the file; an official schedule has at least %(min)d (the statutory days off). Load the whole year's schedule."
                )
                % {"year": year, "n": holidays, "min": MIN_HOLIDAYS_PER_YEAR}
            )
    for index, (day, kind, _name) in enumerate(rows, start=1):
        if day.year not in years:
            errors.append(
                _("Row %(n)d: %(day)s is outside the years being loaded.")
                % {"n": index, "day": day}
            )
        if kind not in CalendarDay.Kind.values:
            errors.append(_("Row %(n)d: kind must be holiday or workday.") % {"n": index})
    if not years:
        errors.append(_("The file names no year."))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        CalendarDay.objects.filter(date__year__in=years).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d, kind=k, name=n[:50]) for d, k, n in rows]
        )
        for year in years:
            CalendarYear.objects.update_or_create(
                year=year,
                defaults={"source": source[:100], "loaded_at": now, "loaded_by": actor},
            )
    calendar(refresh=True)
    return sum(reaction() for reaction in _calendar_loaded)


def missing_years(*, now: datetime) -> list[int]:
    """Years deadlines may soon fall into that the calendar does not know: this year, and
    next year from October on (the schedule is published each autumn)."""
    local = timezone.localtime(now)
    wanted = {local.year} | ({local.year + 1} if local.month >= 10 else set())
    in_use = {year for source in _years_in_use for year in source()}
    known = set(CalendarYear.objects.values_list("year", flat=True))
    return sorted((wanted | in_use) - known)


def reset_caches() -> None:
    """Forget cached policy and calendar (after tests flush the database, for example)."""
    _calendar_cache.update(at=0.0, calendar=None)
    _policy_cache.update(at=0.0, id=None, policy=None)
    _rules_cache.clear()


# --- policy ----------------------------------------------------------------------------

_policy_cache: dict[str, Any] = {"at": 0.0, "id": None}
_rules_cache: dict[int, tuple[list[LimitRule], list[EscalationLevel]]] = {}
POLICY_TTL_SECONDS = 30


def current_policy() -> PolicyVersion | None:
    if _policy_cache["id"] is None or _time.monotonic() - _policy_cache["at"] > POLICY_TTL_SECONDS:
        policy = (
            PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
            .order_by("-number")
            .first()
        )
        _policy_cache.update(at=_time.monotonic(), id=policy.pk if policy else None, policy=policy)
    policy_: PolicyVersion | None = _policy_cache.get("policy")
    return policy_


def policy_rules(policy_id: int) -> tuple[list[LimitRule], list[EscalationLevel]]:
    """A published policy never changes, so its rules are cached for good."""
    if policy_id not in _rules_cache:
        _rules_cache[policy_id] = (
            list(LimitRule.objects.filter(policy_id=policy_id).order_by("id")),
            list(EscalationLevel.objects.filter(policy_id=policy_id).order_by("level")),
        )
    return _rules_cache[policy_id]


def _matches(
    rule: LimitRule, kind: str, grade: str, emergency: bool, attributes: Mapping[str, Any]
) -> bool:
    if rule.kind and rule.kind != kind:
        return False
    if rule.grade and rule.grade != grade:
        return False
    if rule.emergency is not None and rule.emergency != emergency:
        return False
    if rule.attribute:
        value = attributes.get(rule.attribute)
        if value in (None, ""):
            return False
        if rule.value and str(value) != rule.value:
            return False
        if rule.min_value is not None or rule.max_value is not None:
            try:
                number = Decimal(str(value))
            except ArithmeticError:
                return False
            if not number.is_finite():  # NaN cannot be compared with a bound
                return False
            if rule.min_value is not None and number < rule.min_value:
                return False
            if rule.max_value is not None and number > rule.max_value:
                return False
    return True


def _specificity(rule: LimitRule) -> int:
    return sum(bool(x) for x in (rule.kind, rule.grade, rule.emergency is not None, rule.attribute))


def limits_for(
    policy: PolicyVersion,
    kind: str,
    grade: str,
    emergency: bool,
    attributes: Mapping[str, Any],
    names: tuple[str, ...] = ("first_response", "on_site", "resolution"),
) -> list[arithmetic.Limit]:
    """For each limit name the most specific matching rule; earlier rules win ties."""
    rules, _levels = policy_rules(policy.pk)
    chosen: dict[str, LimitRule] = {}
    for rule in rules:
        if rule.name not in names or not _matches(rule, kind, grade, emergency, attributes):
            continue
        best = chosen.get(rule.name)
        if best is None or _specificity(rule) > _specificity(best):
            chosen[rule.name] = rule
    return [arithmetic.Limit(name, float(rule.amount), rule.unit) for name, rule in chosen.items()]


def escalation_levels(policy_id: int) -> list[EscalationLevel]:
    return policy_rules(policy_id)[1]


# --- administering the policy ------------------------------------------------------------


def _require(perm: str, *, actor: Actor | None) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("You are not allowed to do this."))


@transaction.atomic
def new_draft(
    from_version: PolicyVersion | None = None, *, actor: Actor | None, now: datetime | None = None
) -> PolicyVersion:
    """A draft copied from a version (default: the current published one)."""
    now = now or timezone.now()
    _require("sla.add_policyversion", actor=actor)
    source = from_version or current_policy()
    number = (PolicyVersion.objects.aggregate(m=Max("number"))["m"] or 0) + 1
    copied: dict[str, Any] = {}
    if source:
        skip = {
            "id",
            "number",
            "status",
            "note",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        }
        copied = {
            f.name: getattr(source, f.name)
            for f in PolicyVersion._meta.concrete_fields
            if f.name not in skip
        }
    draft = PolicyVersion.objects.create(
        number=number,
        status=PolicyVersion.Status.DRAFT,
        note=_("Draft from v%(n)s") % {"n": source.number} if source else "",
        created_by=actor,
        **copied,
    )
    if source:
        rules, levels = list(source.limits.all()), list(source.escalation.all())
        for rule in rules:
            rule.pk, rule.policy = None, draft
        for level in levels:
            level.pk, level.policy = None, draft
        LimitRule.objects.bulk_create(rules)
        EscalationLevel.objects.bulk_create(levels)
    return draft


@transaction.atomic
def temperature_problems(policy: PolicyVersion) -> list[str]:
    """What keeps the indoor-temperature values of a draft from being published: refund
    bands that are not a list of {below, share} with shares between 0 and 1, an approver
    who is no position, visiting hours that end before they start."""
    problems: list[str] = []
    bands = policy.temperature_refund_bands
    try:
        if not isinstance(bands, list):
            raise TypeError
        for band in bands:
            share = Decimal(str(band["share"]))
            Decimal(str(band["below"]))
            if not Decimal("0") <= share <= Decimal("1"):
                raise ValueError
    except (TypeError, KeyError, ValueError, ArithmeticError):
        problems.append(
            _(
                'Refund bands are a list like [{"below": "18.0", "share": "0.20"}], shares between 0 and 1.'
            )
        )
    if policy.temperature_refund_approver not in Position.values:
        problems.append(_("The refund approver must be a position code, e.g. service_office."))
    start, _sep, end = policy.temperature_visit_hours.partition("-")
    if not start or not end or start >= end:
        problems.append(_("Measurement visiting hours end after they start, e.g. 08:00-21:00."))
    return problems


def kpi_problems(policy: PolicyVersion) -> list[str]:
    """What keeps a draft's KPI targets and assessment values from being published:
    targets that are not shares between 0 and 1, weights or deductions that are not
    numbers of at least 0."""
    problems: list[str] = []

    def numbers(value: object, low: Decimal, high: Decimal | None) -> bool:
        if not isinstance(value, dict):
            return False
        try:
            amounts = [Decimal(str(amount)) for amount in value.values()]
        except (TypeError, ValueError, ArithmeticError):
            return False
        return all(low <= a and (high is None or a <= high) for a in amounts)

    if not numbers(policy.kpi_targets, Decimal("0"), Decimal("1")):
        problems.append(
            _('KPI targets are shares between 0 and 1, e.g. {"callback_rate": "0.90"}.')
        )
    if not numbers(policy.assessment_weights, Decimal("0"), None):
        problems.append(
            _('Assessment weights are points of at least 0, e.g. {"callback_rate": "10"}.')
        )
    if not numbers(policy.assessment_deductions, Decimal("0"), None):
        problems.append(
            _('Assessment deductions are points of at least 0, e.g. {"valid_complaint": "2"}.')
        )
    return problems


def exchange_problems(policy: PolicyVersion) -> list[str]:
    """What keeps a draft's 12345 limits from being published: answer days that are not
    whole working days of at least 1 by case kind, with "*" for the kinds not named."""
    days = policy.exchange_answer_days
    if (
        not isinstance(days, dict)
        or "*" not in days
        or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in days.values())
    ):
        return [
            _(
                '12345 answer limits are whole working days of at least 1 by kind, with "*" for every other kind, e.g. {"consultation": 3, "*": 13}.'
            )
        ]
    return []


def exchange_answer_days(policy: PolicyVersion | None, kind: str) -> int:
    """The 12345 platform's answer limit for a case kind, in working days."""
    days = policy.exchange_answer_days if policy else None
    if not isinstance(days, dict):
        days = default_exchange_answer_days()
    value = days.get(kind, days.get("*", 13))
    return value if isinstance(value, int) else 13


def selfservice_problems(policy: PolicyVersion) -> list[str]:
    """What keeps a draft's self-service values from being published: a rating window
    outside 1 to 90 days (0 would take the rating form away from every household)."""
    if not 1 <= policy.selfservice_reopen_days <= SELFSERVICE_REOPEN_DAYS_MAX:
        return [
            _("Households rate or reopen a finished case within 1 to %(n)d days.")
            % {"n": SELFSERVICE_REOPEN_DAYS_MAX}
        ]
    return []


def selfservice_reopen_days(policy: PolicyVersion | None) -> int:
    """Days after a case is finished in which its household may rate or reopen it."""
    return policy.selfservice_reopen_days if policy else DEFAULT_SELFSERVICE_REOPEN_DAYS


def publish(policy_id: int, *, actor: Actor | None, now: datetime | None = None) -> PolicyVersion:
    """Publish a draft: it applies to cases created from now on; existing cases keep
    theirs. The previous published version is retired."""
    now = now or timezone.now()
    _require("sla.publish_policy", actor=actor)
    policy = PolicyVersion.objects.select_for_update().get(pk=policy_id)
    if policy.status != PolicyVersion.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    problems: list[str] = []
    for value in (policy.season_start, policy.season_end):
        try:
            datetime.strptime(f"2024-{value}", "%Y-%m-%d")
        except ValueError:
            problems.append(_("Season dates are MM-DD, e.g. 11-15."))
    problems.extend(temperature_problems(policy))
    problems.extend(kpi_problems(policy))
    problems.extend(exchange_problems(policy))
    problems.extend(selfservice_problems(policy))
    if not policy.limits.filter(
        name="resolution", kind="", grade="", emergency__isnull=True, attribute=""
    ).exists():
        problems.append(_("The policy needs a resolution limit that applies to every case."))
    if problems:
        raise ValidationError(problems)
    previous = list(PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED))
    PolicyVersion.objects.filter(pk__in=[p.pk for p in previous]).update(
        status=PolicyVersion.Status.RETIRED
    )
    policy.status = PolicyVersion.Status.PUBLISHED
    policy.published_by = actor
    policy.published_at = now
    policy.save()
    record_changes(
        policy,
        {"status": (PolicyVersion.Status.DRAFT.value, PolicyVersion.Status.PUBLISHED.value)},
        "web",
        actor=actor,
    )
    _policy_cache.update(at=0.0, id=None)
    return policy


def is_heating_season(day: date, policy: PolicyVersion | None = None) -> bool:
    """R-206: inside 15 Nov – 20 Mar (policy data) the hotline is staffed around the clock."""
    policy = policy or current_policy()
    start = tuple(int(x) for x in (policy.season_start if policy else "11-15").split("-"))
    end = tuple(int(x) for x in (policy.season_end if policy else "03-20").split("-"))
    today = (day.month, day.day)
    return today >= start or today <= end if start > end else start <= today <= end


@dataclass(frozen=True)
class HotlineHours:
    staffed: bool
    heating_season: bool
    hours: str


def hotline_hours(policy: PolicyVersion | None = None, *, now: datetime) -> HotlineHours:
    """R-206: is the hotline staffed at ``now``? Around the clock in the heating season;
    outside it, the policy's hours on working days (the working-day calendar decides)."""
    policy = policy or current_policy()
    local = timezone.localtime(now)
    if is_heating_season(local.date(), policy):
        return HotlineHours(staffed=True, heating_season=True, hours="00:00-24:00")
    hours = policy.hotline_hours_off_season if policy else "08:00-17:30"
    start, end = (time.fromisoformat(part) for part in hours.split("-"))
    staffed = calendar().is_working_day(local.date()) and start <= local.time() < end
    return HotlineHours(staffed=staffed, heating_season=False, hours=hours)
