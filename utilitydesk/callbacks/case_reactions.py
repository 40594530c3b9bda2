"""How callbacks react to cases (registered in apps.py through cases.hooks)."""

from typing import Any

from django.utils import timezone

from utilitydesk.cases.hooks import CaseHappened
from utilitydesk.policy.services import current_policy

from .forms import OutcomeForm
from .services import may_call_at, on_resolved


def on_case_resolved(happened: CaseHappened) -> None:
    on_resolved(happened.case, now=happened.now)


def case_section(request, case) -> dict[str, Any] | None:
    tasks = list(case.callback_tasks.select_related("caller"))
    if not tasks:
        return None
    return {
        "callback_tasks": tasks,
        "form": OutcomeForm(),
        "may_call": may_call_at(timezone.now(), case.policy_version or current_policy()),
    }
