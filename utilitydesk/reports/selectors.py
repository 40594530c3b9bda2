"""Who reads which stored report: people with the reports permission read the reports of
the units they see: the company's leaders, the service office and department heads every
unit's; a station head their station's (and its teams')."""

from typing import Any

from django.db.models import Q, QuerySet

from utilitydesk.accounts.typing import AnyUser
from utilitydesk.org.models import OrgUnit
from utilitydesk.org.selectors import station_scope, subtree_ids
from utilitydesk.privacy.files import FileAccess

from .models import FOLDER, Report, ReportKind

VIEW = "reports.view_report"
GENERATE = "reports.generate_report"


def report_units(user: AnyUser) -> QuerySet[OrgUnit]:
    """Units whose reports the user may read."""
    if not user.is_authenticated or not user.has_perm(VIEW):
        return OrgUnit.objects.none()
    units = OrgUnit.objects.filter(is_active=True).order_by("kind", "code")
    scope = station_scope(user)
    if scope is None:
        return units
    return units.filter(pk__in=set().union(*subtree_ids(scope).values()) if scope else set())


def visible_reports(
    user: AnyUser,
    *,
    kind: str = "",
    unit: OrgUnit | None = None,
    period: str = "",
) -> QuerySet[Report]:
    reports = Report.objects.filter(unit__in=report_units(user)).select_related(
        "unit", "generated_by", "policy_version"
    )
    if kind:
        reports = reports.filter(kind=kind)
    if unit is not None:
        reports = reports.filter(unit=unit)
    if period:
        reports = reports.filter(period=period.strip())
    return reports.order_by("-period_start", "kind", "unit__code")


def may_generate(user: AnyUser, unit: OrgUnit) -> bool:
    return bool(user.has_perm(GENERATE) and report_units(user).filter(pk=unit.pk).exists())


def kinds() -> list[tuple[str, Any]]:
    return list(ReportKind.choices)


def file_access(user: AnyUser, name: str) -> FileAccess | None:
    """A report's Excel or PDF file opens for whoever may read the report (privacy.files:
    /media/ serves nothing without this answer)."""
    if not name.startswith(f"{FOLDER}/"):
        return None
    report = visible_reports(user).filter(Q(xlsx=name) | Q(pdf=name)).values("pk").first()
    if report is None:
        return None
    return FileAccess(inline=name.endswith(".pdf"), detail={"report": report["pk"]})
