"""Complaint handling (R-501 – R-505): classification, responsibility, appeals, retention."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.cases.selectors import in_unit_scope, visible_cases
from utilitydesk.notifications.services import notify_staff
from utilitydesk.org.models import DepartmentFunction, Position
from utilitydesk.org.selectors import holders_of, works_in_function

from .models import Appeal, Category, Complaint, Level, Responsibility

LEVEL_ONE_LEADERS = (Position.DEPARTMENT_HEAD, Position.DEPUTY_GM, Position.GENERAL_MANAGER)


def open_for_case(
    case, category: str = Category.OTHER, level: int = Level.NORMAL, source_case=None
) -> Complaint:
    """Every complaint case has its complaint record (created with the case)."""
    complaint, _created = Complaint.objects.get_or_create(
        case=case, defaults={"category": category, "level": level, "source_case": source_case}
    )
    if source_case is not None and complaint.source_case_id is None:
        complaint.source_case = source_case
        complaint.save(update_fields=["source_case"])
    return complaint


def may_classify(actor) -> bool:
    """Category and level move a complaint's deadlines: only the service centre and the
    service office set them (R-501, R-502)."""
    return actor.has_perm("complaints.classify_complaint") and works_in_function(
        actor, DepartmentFunction.SERVICE_CENTRE, DepartmentFunction.SERVICE_OFFICE
    )


@transaction.atomic
def classify(actor, complaint_id: int, category: str, level: int, source: str = "web") -> Complaint:
    """Set category and grade. Level 1 starts the emergency plan: the case becomes an
    emergency and the leaders above its unit are told at once (R-502). Every change is
    kept in the change history and on the case's timeline, with who made it."""
    from utilitydesk.audit.services import diff_values, record_changes
    from utilitydesk.cases import services as cases
    from utilitydesk.cases.models import Case

    if not may_classify(actor):
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
    record_changes(complaint, changes, actor, source)
    cases.append_event(
        case,
        actor,
        "classify_complaint",
        _("%(old_category)s, %(old_level)s → %(category)s, %(level)s")
        % {
            "old_category": before_category,
            "old_level": before_level,
            "category": complaint.get_category_display(),
            "level": complaint.get_level_display(),
        },
        **{field: {"from": old, "to": new} for field, (old, new) in changes.items()},
    )
    case.attributes = {**(case.attributes or {}), "complaint_level": str(level)}
    if raised:
        case.emergency = True
    from utilitydesk.sla.services import replan_running

    replan_running(case, ("first_response", "resolution"), timezone.now())
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


@transaction.atomic
def determine(
    actor,
    complaint_id: int,
    *,
    responsibility: str,
    valid: bool,
    responsible_unit=None,
    responsible_staff=None,
    corrective_actions: str = "",
) -> Complaint:
    """Responsibility is determined for every complaint when it is handled (R-503)."""
    if not actor.has_perm("complaints.determine_complaint"):
        raise PermissionDenied(_("You are not allowed to determine responsibility."))
    if responsibility not in Responsibility.values:
        raise ValidationError({"responsibility": [_("Choose who is responsible.")]})
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=complaint_id)
    )
    if complaint.case.status not in ("resolved", "callback_done", "closed"):
        raise ValidationError(
            {"responsibility": [_("Responsibility is determined once the complaint is handled.")]}
        )
    company_fault = responsibility in (
        Responsibility.VIOLATION,
        Responsibility.NEGLIGENCE,
        Responsibility.MISTAKE,
    )
    if company_fault and responsible_unit is None:
        raise ValidationError(
            {"responsible_unit": [_("A company fault names the unit held responsible.")]}
        )
    if company_fault and not corrective_actions.strip():
        raise ValidationError(
            {"corrective_actions": [_("A company fault needs corrective actions.")]}
        )
    complaint.responsibility = responsibility
    complaint.valid = valid
    complaint.responsible_unit = responsible_unit if company_fault else None
    complaint.responsible_staff = responsible_staff if company_fault else None
    complaint.corrective_actions = corrective_actions.strip()
    complaint.determined_at = timezone.now()
    complaint.determined_by = actor
    complaint.save()
    return complaint


@transaction.atomic
def submit_appeal(actor, complaint_id: int, reason: str, now: datetime | None = None) -> Appeal:
    """The unit held responsible may appeal within the policy's appeal period (R-504)."""
    from utilitydesk.sla.services import current_policy

    now = now or timezone.now()
    complaint = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("case__policy_version")
        .get(pk=complaint_id)
    )
    if complaint.responsible_unit is None:
        raise ValidationError({"reason": [_("Only a unit held responsible can appeal.")]})
    if not in_unit_scope(actor, complaint.responsible_unit):
        raise PermissionDenied(_("Only the unit held responsible can appeal."))
    policy = complaint.case.policy_version or current_policy()
    if now > complaint.determined_at + timedelta(days=policy.appeal_days):
        raise ValidationError(
            {
                "reason": [
                    _("The appeal period of %(days)d days has ended.")
                    % {"days": policy.appeal_days}
                ]
            }
        )
    if complaint.appeals.filter(status=Appeal.Status.SUBMITTED).exists():
        raise ValidationError({"reason": [_("An appeal is already waiting for a ruling.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for the appeal.")]})
    return Appeal.objects.create(
        complaint=complaint, submitted_by=actor, submitted_at=now, reason=reason.strip()
    )


@transaction.atomic
def rule_appeal(actor, appeal_id: int, upheld: bool, ruling: str) -> Appeal:
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
    appeal.ruled_by, appeal.ruled_at, appeal.ruling = actor, timezone.now(), ruling.strip()
    appeal.save()
    return appeal


def delete_complaint(actor, complaint_id: int, now: datetime | None = None) -> None:
    """Complaints are kept at least the policy's retention period, important ones always
    (R-505); deleting one earlier is refused."""
    from utilitydesk.sla.services import current_policy

    if not actor.has_perm("complaints.delete_complaint"):
        raise PermissionDenied(_("You are not allowed to delete complaints."))
    now = now or timezone.now()
    complaint = Complaint.objects.select_related("case__policy_version").get(pk=complaint_id)
    policy = complaint.case.policy_version or current_policy()
    keep_until = complaint.created_at + timedelta(days=policy.complaint_retention_days)
    if complaint.important:
        raise ValidationError(_("Important complaints are kept permanently."))
    if now < keep_until:
        raise ValidationError(
            _("Complaints are kept until %(date)s (%(days)d days); this one cannot be deleted yet.")
            % {
                "date": timezone.localtime(keep_until).strftime("%Y-%m-%d"),
                "days": policy.complaint_retention_days,
            }
        )
    complaint.delete()
