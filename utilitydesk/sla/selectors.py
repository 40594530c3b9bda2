from datetime import datetime, timedelta

from django.db.models import Min, OuterRef, QuerySet, Subquery

from .models import CaseDeadline, CaseEscalation, CasePause


def pending_due_subquery():
    """The earliest running deadline of a case, for annotating case lists."""
    return Subquery(
        CaseDeadline.objects.filter(case=OuterRef("pk"), state=CaseDeadline.State.PENDING)
        .order_by()
        .values("case")
        .annotate(first=Min("due_at"))
        .values("first")[:1]
    )


def with_next_due(cases: QuerySet) -> QuerySet:
    return cases.annotate(next_due=pending_due_subquery())


def due_soon(cases: QuerySet, now: datetime, within: timedelta) -> QuerySet:
    """Cases with a running deadline due before now + within (overdue ones first)."""
    return (
        with_next_due(cases)
        .filter(next_due__isnull=False, next_due__lte=now + within)
        .order_by("next_due")
    )


def deadlines_of(case) -> list[CaseDeadline]:
    return list(CaseDeadline.objects.filter(case=case).order_by("due_at"))


def escalations_of(case) -> list[CaseEscalation]:
    """The case's escalations, each with ``target_names``: the people told, by name."""
    from django.contrib.auth import get_user_model

    from utilitydesk.core.templatetags.people import display_name

    escalations = list(CaseEscalation.objects.filter(case=case).order_by("level"))
    usernames = {name for e in escalations for name in e.targets}
    people = {
        u.username: display_name(u)
        for u in get_user_model().objects.filter(username__in=usernames)
    }
    for escalation in escalations:
        escalation.target_names = [people.get(n, n) for n in escalation.targets]
    return escalations


def pauses_of(case) -> list[CasePause]:
    return list(CasePause.objects.filter(case=case))
