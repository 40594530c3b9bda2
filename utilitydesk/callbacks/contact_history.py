"""Callback calls in the customer 360 page's contact history (registered in apps.py)."""

from django.db.models import Exists, OuterRef, Q

from utilitydesk.cases.models import Case
from utilitydesk.customers.panels import HistoryEntry
from utilitydesk.privacy.masking import text_for

from .models import CallbackAttempt, CallbackTask


def _tasks_of(customer):

    case_ids = list(Case.objects.filter(customer=customer).values_list("pk", flat=True))
    return CallbackTask.objects.filter(Q(customer=customer) | Q(case_id__in=case_ids))


def _entry(user, key, at, task, outcome_label, comment, actor) -> HistoryEntry:
    detail = outcome_label
    if task.period:
        detail = f"{task.period} · {detail}"
    return HistoryEntry(
        at=at,
        key=key,
        kind="callback",
        label=task.get_purpose_display(),
        text=text_for(user, comment),
        case_number=task.case.number if task.case_id else "",
        actor=actor,
        detail=detail,
    )


def callback_entries(user, customer, limit: int) -> list[HistoryEntry]:
    """Every callback try (reached or not), and finished callbacks recorded without tries
    (loaded from elsewhere)."""
    if not user.has_perm("callbacks.view_callbacktask"):
        return []
    tasks = _tasks_of(customer)
    tries = (
        CallbackAttempt.objects.filter(task__in=tasks)
        .select_related("task__case", "by")
        .order_by("-at", "-pk")[:limit]
    )
    entries = [
        _entry(
            user,
            f"callback-try:{t.pk:012d}",
            t.at,
            t.task,
            t.get_outcome_display(),
            t.comment,
            t.by,
        )
        for t in tries
    ]
    without_tries = (
        tasks.filter(completed_at__isnull=False)
        .exclude(Exists(CallbackAttempt.objects.filter(task=OuterRef("pk"))))
        .select_related("case", "called_by")
        .order_by("-completed_at", "-pk")[:limit]
    )
    entries += [
        _entry(
            user,
            f"callback:{task.pk:012d}",
            task.completed_at,
            task,
            task.get_outcome_display() or task.get_status_display(),
            task.comment,
            task.called_by,
        )
        for task in without_tries
    ]
    return entries
