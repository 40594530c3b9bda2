"""Complaint handling (R-501 – R-505): classification, responsibility, appeals, retention."""

from datetime import datetime, timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from utilitydesk.accounts.names import display_name
from utilitydesk.accounts.typing import Actor
from utilitydesk.audit.services import diff_values, record_changes
from utilitydesk.cases import services as cases
from utilitydesk.cases.deadlines import replan_running
from utilitydesk.cases.models import Case
from utilitydesk.cases.selectors import in_unit_scope, visible_cases
from utilitydesk.kernel.spreadsheets import append_row
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position
from utilitydesk.org.selectors import holders_of, works_in_function
from utilitydesk.policy import deadlines as deadline_arithmetic
from utilitydesk.policy.models import PolicyVersion
from utilitydesk.policy.services import calendar, current_policy
from utilitydesk.privacy.access import record_export
from utilitydesk.privacy.masking import phone_for

from .models import COMPANY_FAULT, Appeal, Category, Complaint, Level, Responsibility
from .selectors import ComplaintFilters, register, staff_of_unit

LEVEL_ONE_LEADERS = (Position.DEPARTMENT_HEAD, Position.DEPUTY_GM, Position.GENERAL_MANAGER)


def open_for_case(
    case: Case,
    category: str = Category.OTHER,
    level: int = Level.NORMAL,
    source_case: Case | None = None,
) -> Complaint:
    """Every complaint case has its complaint record (created with the case)."""
    complaint, _created = Complaint.objects.get_or_create(
        case=case, defaults={"category": category, "level": level, "source_case": source_case}
    )
    if source_case is not None and complaint.source_case_id is None:
        complaint.source_case = source_case
        complaint.save(update_fields=["source_case"])
    return complaint


def may_classify(*, actor: Actor) -> bool:
    """Category and level move a complaint's deadlines: only the service centre and the
    service office set them (R-501, R-502)."""
    return actor.has_perm("complaints.classify_complaint") and works_in_function(
        actor, DepartmentFunction.SERVICE_CENTRE, DepartmentFunction.SERVICE_OFFICE
    )


@transaction.atomic
def classify(
    complaint_id: int,
    category: str,
    level: int,
    source: str = "web",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Complaint:
    """Set category and grade. Level 1 starts the emergency plan: the case becomes an
    emergency and the leaders above its unit are told at once (R-502). Every change is
    kept in the change history and on the case's timeline, with who made it."""

    now = now or timezone.now()
    if not may_classify(actor=actor):
        raise PermissionDenied(
            _(
                "Only the service centre and the service office set a complaint's category and level."
            )
        )
    if category not in Category.values:
        raise ValidationError({"category": [_("Unknown complaint category.")]})
    if level not in Level.values:
        raise ValidationError({"level": [_("Unknown complaint level.")]})
    case_id = Complaint.objects.filter(pk=complaint_id).values_list("case_id", flat=True).first()
    if case_id is None or not visible_cases(actor).filter(pk=case_id).exists():
        raise Complaint.DoesNotExist
    # The case first, then the complaint: the order every case action locks in.
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("responsible_unit")
        .get(pk=case_id)
    )
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    changes = diff_values(
        {"category": complaint.category, "level": complaint.level},
        {"category": category, "level": level},
    )
    if not changes:
        return complaint
    before_category, before_level = complaint.get_category_display(), complaint.get_level_display()
    raised = level == Level.SERIOUS and complaint.level != Level.SERIOUS
    complaint.category, complaint.level = category, level
    complaint.save(update_fields=["category", "level"])
    record_changes(complaint, changes, source, actor=actor)
    cases.append_event(
        case,
        "classify_complaint",
        _("%(old_category)s, %(old_level)s → %(category)s, %(level)s")
        % {
            "old_category": before_category,
            "old_level": before_level,
            "category": complaint.get_category_display(),
            "level": complaint.get_level_display(),
        },
        actor=actor,
        data={field: {"from": old, "to": new} for field, (old, new) in changes.items()},
    )
    case.attributes = {**(case.attributes or {}), "complaint_level": str(level)}
    if raised:
        case.emergency = True
    replan_running(case, ("first_response", "resolution"), now)
    case.save(update_fields=["attributes", "emergency", "next_check_at"])
    if raised:
        unit = case.responsible_unit
        leaders = {
            u.pk: u
            for position in LEVEL_ONE_LEADERS
            for u in (holders_of(position, unit) if unit else [])
        }
        notify_staff(
            leaders.values(),
            _("Level-1 complaint: %(number)s") % {"number": case.number},
            _("Emergency plan started for a serious complaint: %(content)s")
            % {"content": case.content[:200]},
            link=f"/cases/{case.number}/",
            reference=f"case:{case.number}",
            dedupe_prefix=f"complaint-l1:{complaint.pk}",
        )
    return complaint


HANDLED_STATUSES = ("resolved", "callback_done", "closed")


def may_determine(complaint: Complaint, waiting: Appeal | None = None, *, actor: Actor) -> bool:
    """Responsibility is recorded once the complaint is handled, by the service office or
    a department head, and not while an appeal against it waits for a ruling."""
    return (
        actor.has_perm("complaints.determine_complaint")
        and complaint.case.status in HANDLED_STATUSES
        and waiting is None
    )


def appeal_deadline(complaint: Complaint) -> datetime | None:
    if complaint.determined_at is None:
        return None
    policy = complaint.case.policy_version or current_policy()
    # With no published policy at all, the model's default period.
    days = (
        policy.appeal_days
        if policy is not None
        else PolicyVersion._meta.get_field("appeal_days").default
    )
    # Counted like every limit in days: from the next day, to 24:00 of the last.
    limit = deadline_arithmetic.Limit("appeal", days, deadline_arithmetic.NATURAL_DAYS)
    return deadline_arithmetic.compute(complaint.determined_at, limit, calendar()).due_at


def may_appeal(
    complaint: Complaint, waiting: Appeal | None = None, *, actor: Actor, now: datetime
) -> str | None:
    """None when ``actor`` may appeal now, else the reason they may not (R-504): only the
    unit held responsible, within the appeal period, one open appeal at a time."""
    if complaint.responsible_unit_id is None or complaint.determined_at is None:
        return _("Only a unit held responsible can appeal.")
    if not in_unit_scope(actor, complaint.responsible_unit):
        return _("Only the unit held responsible can appeal.")
    deadline = appeal_deadline(complaint)
    if deadline is not None and now > deadline:
        policy_days = (deadline - complaint.determined_at).days
        return _("The appeal period of %(days)d days has ended.") % {"days": policy_days}
    if waiting is not None:
        return _("An appeal is already waiting for a ruling.")
    return None


def may_rule(appeal: Appeal, *, actor: Actor) -> bool:
    """An appeal is ruled by someone holding the right who did not submit it."""
    return (
        actor.has_perm("complaints.rule_appeal")
        and appeal.status == Appeal.Status.SUBMITTED
        and appeal.submitted_by_id != actor.pk
    )


def may_mark_important(*, actor: Actor) -> bool:
    return actor.has_perm("complaints.mark_important")


@transaction.atomic
def determine(
    complaint_id: int,
    *,
    actor: Actor,
    now: datetime | None = None,
    responsibility: str,
    valid: bool,
    responsible_unit: OrgUnit | None = None,
    responsible_staff: Actor | None = None,
    corrective_actions: str = "",
) -> Complaint:
    """Responsibility is determined for every complaint when it is handled (R-503)."""

    now = now or timezone.now()
    if not actor.has_perm("complaints.determine_complaint"):
        raise PermissionDenied(_("You are not allowed to determine responsibility."))
    if responsibility not in Responsibility.values:
        raise ValidationError({"responsibility": [_("Choose who is responsible.")]})
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=complaint_id)
    )
    if complaint.case.status not in HANDLED_STATUSES:
        raise ValidationError(
            {"responsibility": [_("Responsibility is determined once the complaint is handled.")]}
        )
    if complaint.appeals.filter(status=Appeal.Status.SUBMITTED).exists():
        raise ValidationError(
            {"responsibility": [_("An appeal is waiting for a ruling: rule on it first.")]}
        )
    company_fault = responsibility in COMPANY_FAULT
    if company_fault and responsible_unit is None:
        raise ValidationError(
            {"responsible_unit": [_("A company fault names the unit held responsible.")]}
        )
    if company_fault and not corrective_actions.strip():
        raise ValidationError(
            {"corrective_actions": [_("A company fault needs corrective actions.")]}
        )
    if (
        company_fault
        and responsible_staff is not None
        and not staff_of_unit(responsible_unit).filter(pk=responsible_staff.pk).exists()
    ):
        raise ValidationError(
            {
                "responsible_staff": [
                    _("The person held responsible works in the unit held responsible.")
                ]
            }
        )
    before = {
        "responsibility": complaint.responsibility,
        "valid": complaint.valid,
        "responsible_unit": complaint.responsible_unit_id,
        "responsible_staff": complaint.responsible_staff_id,
        "corrective_actions": complaint.corrective_actions,
    }
    complaint.responsibility = responsibility
    complaint.valid = valid
    complaint.responsible_unit = responsible_unit if company_fault else None
    complaint.responsible_staff = responsible_staff if company_fault else None
    complaint.corrective_actions = corrective_actions.strip()
    complaint.determined_at = now
    complaint.determined_by = actor
    complaint.save()
    changes = diff_values(
        before,
        {
            "responsibility": complaint.responsibility,
            "valid": complaint.valid,
            "responsible_unit": complaint.responsible_unit_id,
            "responsible_staff": complaint.responsible_staff_id,
            "corrective_actions": complaint.corrective_actions,
        },
    )
    record_changes(complaint, changes, "web", actor=actor)
    return complaint


@transaction.atomic
def submit_appeal(
    complaint_id: int, reason: str, *, actor: Actor, now: datetime | None = None
) -> Appeal:
    """The unit held responsible may appeal within the policy's appeal period (R-504)."""
    now = now or timezone.now()
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case__policy_version", "responsible_unit")
        .get(pk=complaint_id)
    )
    waiting = complaint.appeals.filter(status=Appeal.Status.SUBMITTED).first()
    refusal = may_appeal(complaint, waiting, actor=actor, now=now)
    if refusal is not None:
        if complaint.responsible_unit_id is not None and not in_unit_scope(
            actor, complaint.responsible_unit
        ):
            raise PermissionDenied(refusal)
        raise ValidationError({"reason": [refusal]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the appeal.")]})
    return Appeal.objects.create(
        complaint=complaint, submitted_by=actor, submitted_at=now, reason=reason.strip()
    )


@transaction.atomic
def rule_appeal(
    appeal_id: int, upheld: bool, ruling: str, *, actor: Actor, now: datetime | None = None
) -> Appeal:
    now = now or timezone.now()
    if not actor.has_perm("complaints.rule_appeal"):
        raise PermissionDenied(_("You are not allowed to rule on appeals."))
    appeal = Appeal.objects.select_for_update().get(pk=appeal_id)
    if appeal.status != Appeal.Status.SUBMITTED:
        raise ValidationError({"ruling": [_("This appeal has already been ruled on.")]})
    if appeal.submitted_by_id == actor.pk:
        raise PermissionDenied(_("An appeal is ruled on by someone else."))
    if not ruling.strip():
        raise ValidationError({"ruling": [_("Give the ruling.")]})
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.ruled_by, appeal.ruled_at, appeal.ruling = actor, now, ruling.strip()
    appeal.save()
    return appeal


@transaction.atomic
def set_important(
    complaint_id: int,
    important: bool,
    source: str = "web",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Complaint:
    """R-505: an important complaint is kept permanently. Marked (or unmarked) by the
    service office; every change is kept in the change history with who made it."""

    now = now or timezone.now()
    if not may_mark_important(actor=actor):
        raise PermissionDenied(_("Only the service office marks complaints important."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
    changes = diff_values({"important": complaint.important}, {"important": important})
    if not changes:
        return complaint
    complaint.important = important
    complaint.save(update_fields=["important"])
    record_changes(complaint, changes, source, actor=actor)
    return complaint


def delete_complaint(complaint_id: int, *, actor: Actor, now: datetime | None = None) -> None:
    """Complaints are kept at least the policy's retention period, important ones always
    (R-505); deleting one earlier is refused."""
    if not actor.has_perm("complaints.delete_complaint"):
        raise PermissionDenied(_("You are not allowed to delete complaints."))
    now = now or timezone.now()
    complaint = Complaint.objects.select_related("case__policy_version").get(pk=complaint_id)
    policy = complaint.case.policy_version or current_policy()
    # With no published policy at all, the model's default period.
    retention_days = (
        policy.complaint_retention_days
        if policy is not None
        else PolicyVersion._meta.get_field("complaint_retention_days").default
    )
    keep_until = complaint.created_at + timedelta(days=retention_days)
    if complaint.important:
        raise ValidationError(_("Important complaints are kept permanently."))
    if now < keep_until:
        raise ValidationError(
            _("Complaints are kept until %(date)s (%(days)d days); this one cannot be deleted yet.")
            % {
                "date": timezone.localtime(keep_until).strftime("%Y-%m-%d"),
                "days": retention_days,
            }
        )
    complaint.delete()


def may_export(*, actor: Actor) -> bool:
    """The register holds customers' names and numbers: exported by those who may export
    personal data (docs/roles.md)."""
    return actor.has_perm("complaints.view_complaint") and actor.has_perm(
        "customers.export_customers"
    )


def export_register(
    filters: ComplaintFilters,
    stream: IO[bytes],
    ip_address: str | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> int:
    """The filtered complaint register as .xlsx, every cell through core.spreadsheets;
    logged with one access-log row per customer exported (R-105)."""

    now = now or timezone.now()
    if not may_export(actor=actor):
        raise PermissionDenied(_("You are not allowed to export customer data."))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Complaint register"))
    append_row(
        sheet,
        [
            _("Received"),
            _("Case number"),
            _("category"),
            _("level"),
            _("Customer / caller"),
            _("Phone"),
            _("Content"),
            _("Handled by"),
            _("responsibility"),
            _("valid complaint"),
            _("unit held responsible"),
            _("staff member held responsible"),
            _("corrective actions"),
            _("determined at"),
            _("important (kept longer)"),
        ],
    )
    customers: list[int] = []
    rows = 0
    for complaint in register(actor, filters).iterator(chunk_size=2000):
        case = complaint.case
        staff = complaint.responsible_staff
        append_row(
            sheet,
            [
                timezone.localtime(case.received_at).replace(tzinfo=None),
                case.number,
                complaint.get_category_display(),
                complaint.get_level_display(),
                case.caller_name or (case.customer.name if case.customer is not None else ""),
                phone_for(actor, case.caller_phone),
                case.content,
                case.responsible_unit.name if case.responsible_unit is not None else "",
                complaint.get_responsibility_display(),
                "" if complaint.valid is None else (_("Yes") if complaint.valid else _("No")),
                complaint.responsible_unit.name if complaint.responsible_unit is not None else "",
                display_name(staff) if staff else "",
                complaint.corrective_actions,
                timezone.localtime(complaint.determined_at).replace(tzinfo=None)
                if complaint.determined_at
                else None,
                _("Yes") if complaint.important else "",
            ],
        )
        rows += 1
        if case.customer_id:
            customers.append(case.customer_id)
    book.save(stream)
    detail = {"filters": filters.as_dict(), "rows": rows, "export": "complaints"}
    record_export(actor, customers, ip_address=ip_address, detail=detail)
    return rows
