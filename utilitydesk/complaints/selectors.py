"""Reads of complaints, limited to what the user may see: the register, one complaint,
the actions a person may take on it now, and the choices of its forms."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from utilitydesk.accounts.typing import Actor
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.audit.selectors import history_of
from utilitydesk.cases.selectors import visible_cases
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import active_assignments, station_scope, subtree_ids

from . import services
from .models import Appeal, Complaint


def _held_units_of(user: Actor) -> set[int]:
    """The units whose complaints a field leader sees besides their cases: their own units
    and their stations, with the teams under them."""
    roots = {a.unit_id for a in active_assignments(user)} | set(station_scope(user) or ())
    trees = subtree_ids(roots)
    return set().union(*trees.values()) if trees else set()


def visible_complaints(user: Actor) -> QuerySet[Complaint]:
    """Complaints of cases the user may see, and those held against the user's unit (so
    that the unit held responsible reads the ruling and may appeal)."""
    if not (user.has_perm("complaints.view_complaint") or user.has_perm("cases.view_case")):
        return Complaint.objects.none()
    if station_scope(user) is None and user.has_perm("cases.view_case"):
        return Complaint.objects.all()
    return Complaint.objects.filter(
        Q(case__in=visible_cases(user)) | Q(responsible_unit_id__in=_held_units_of(user))
    )


def get_complaint(user: Actor, pk: int) -> Complaint | None:
    return (
        visible_complaints(user)
        .select_related(
            "case__customer",
            "case__responsible_unit",
            "case__policy_version",
            "source_case",
            "responsible_unit",
            "responsible_staff",
            "determined_by",
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class ComplaintFilters:
    category: str = ""
    level: int | None = None
    unit: OrgUnit | None = None
    valid: str = ""  # "yes", "no", "open" (not determined yet)
    start: date | None = None
    end: date | None = None
    important: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "level": self.level,
            "unit": self.unit.pk if self.unit else None,
            "valid": self.valid,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            "important": self.important,
        }


def register(user: Actor, filters: ComplaintFilters) -> QuerySet[Complaint]:
    """The complaint register (投诉台账): newest complaint first."""
    complaints = visible_complaints(user)
    if filters.category:
        complaints = complaints.filter(category=filters.category)
    if filters.level:
        complaints = complaints.filter(level=filters.level)
    if filters.unit is not None:
        complaints = complaints.filter(
            responsible_unit_id__in=subtree_ids([filters.unit.pk])[filters.unit.pk]
        )
    if filters.valid == "yes":
        complaints = complaints.filter(valid=True)
    elif filters.valid == "no":
        complaints = complaints.filter(valid=False)
    elif filters.valid == "open":
        complaints = complaints.filter(determined_at__isnull=True)
    if filters.start:
        start = timezone.make_aware(datetime.combine(filters.start, time.min))
        complaints = complaints.filter(case__received_at__gte=start)
    if filters.end:
        end = timezone.make_aware(datetime.combine(filters.end, time.min) + timedelta(days=1))
        complaints = complaints.filter(case__received_at__lt=end)
    if filters.important:
        complaints = complaints.filter(important=True)
    return complaints.select_related(
        "case__customer", "case__responsible_unit", "responsible_unit", "responsible_staff"
    ).order_by("-case__received_at", "-pk")


def unit_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Units a complaint can be held against, grouped as people find them: the company's
    departments, then each station with its teams."""
    units = list(
        OrgUnit.objects.filter(
            kind__in=[UnitKind.DEPARTMENT, UnitKind.STATION, UnitKind.TEAM], is_active=True
        ).order_by("code")
    )
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    departments = [u for u in units if u.kind == UnitKind.DEPARTMENT]
    groups: list[tuple[str, list[tuple[int, str]]]] = []
    for department in departments:
        groups.append(
            (
                department.name,
                [(department.pk, department.name)]
                + [(team.pk, team.name) for team in children.get(department.pk, [])],
            )
        )
    for station in (u for u in units if u.kind == UnitKind.STATION):
        groups.append(
            (
                station.name,
                [(station.pk, station.name)]
                + [(team.pk, team.name) for team in children.get(station.pk, [])],
            )
        )
    return groups


def staff_of_unit(unit: OrgUnit | None) -> QuerySet[Actor]:
    """People with an active position in the unit or a unit under it."""
    User = get_user_model()
    if unit is None:
        return User.objects.none()
    return (
        User.objects.filter(
            assignments__unit_id__in=subtree_ids([unit.pk])[unit.pk],
            assignments__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@dataclass
class ComplaintActions:
    """What the person may do with the complaint now; a form is offered only for these."""

    classify: bool
    determine: bool
    appeal: bool
    rule: Appeal | None
    important: bool

    @property
    def any(self) -> bool:
        return any([self.classify, self.determine, self.appeal, self.rule, self.important])


def allowed_actions(
    user: Actor, complaint: Complaint, now: datetime | None = None
) -> ComplaintActions:
    now = now or timezone.now()
    waiting = complaint.appeals.filter(status=Appeal.Status.SUBMITTED).first()
    return ComplaintActions(
        classify=services.may_classify(actor=user),
        determine=services.may_determine(complaint, waiting, actor=user),
        appeal=services.may_appeal(complaint, waiting, actor=user, now=now) is None,
        rule=waiting if waiting is not None and services.may_rule(waiting, actor=user) else None,
        important=services.may_mark_important(actor=user),
    )


def important_history(complaint: Complaint) -> QuerySet[ChangeRecord]:

    return history_of(complaint).filter(field="important").order_by("-at")
