"""The first responder follows the case (R-203, docs/cases.md "The first responder follows
the case").

The staff member who took a contact owns it until the customer is satisfied, transfers
included. Everyone who took a contact on a case (``Contact.first_responder``, the case's
own ``Case.first_responder`` among them) follows it:

- reactions to ``cases.hooks`` (registered in ``apps.py``): an inbox message when the case
  is dispatched (every dispatch and re-dispatch), resolved and closed (closed after the
  callback, or settled with its cause) — once per step, never to the person who acted;
- ``followed_cases``: the cases a person follows, limited to what they may see, for the
  "我受理的" page and the dashboards.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import DateTimeField, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.names import display_name
from utilitydesk.accounts.typing import Actor, AnyUser
from utilitydesk.cases.deadline_selectors import with_next_due
from utilitydesk.cases.hooks import CaseHappened, CaseHook
from utilitydesk.cases.models import OPEN_STATUSES, Case, Contact, Status
from utilitydesk.cases.selectors import CaseFilters, filter_cases, visible_cases
from utilitydesk.notifications.services import notify_staff
from utilitydesk.privacy.masking import text_for

from .models import CallbackTask

# The steps a follower hears about.
FOLLOWED_HOOKS = (CaseHook.DISPATCHED, CaseHook.RESOLVED, CaseHook.CLOSED)

# "Open" for a follower: not yet settled with the customer. A resolved case still waits
# for its callback, so it stays on the list until the callback is done or it is closed.
FOLLOWED_OPEN_STATUSES = frozenset({*OPEN_STATUSES, Status.RESOLVED})


# --- who follows a case ---------------------------------------------------------------------


def followers(case: Case) -> list[Actor]:
    """Every active person who took a contact on ``case``: its first responder and the first
    responders of the contacts added to it later (a customer calling again about it)."""
    took = Contact.objects.filter(case_id=case.pk).values("first_responder_id")
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk=case.first_responder_id) | Q(pk__in=took))
        .order_by("pk")
    )


def _name(person: Actor | None) -> str:
    return _("the system") if person is None else display_name(person)


def _subject(happened: CaseHappened) -> str:
    case = happened.case
    if happened.hook == CaseHook.DISPATCHED:
        return _("Case %(number)s you took was sent to %(unit)s") % {
            "number": case.number,
            "unit": case.responsible_unit.name if case.responsible_unit else "—",
        }
    if happened.hook == CaseHook.RESOLVED:
        return _("Case %(number)s you took is resolved") % {"number": case.number}
    return _("Case %(number)s you took is closed") % {"number": case.number}


def _body(happened: CaseHappened, person: Actor, *, calls_back: bool) -> str:
    case = happened.case
    values = {
        "kind": case.get_kind_display(),
        "received": timezone.localtime(case.received_at).strftime("%m-%d %H:%M"),
        "unit": case.responsible_unit.name if case.responsible_unit else "—",
        "actor": _name(happened.actor),
        "at": timezone.localtime(happened.now).strftime("%m-%d %H:%M"),
    }
    if happened.hook == CaseHook.DISPATCHED:
        text = _("%(kind)s received %(received)s: sent to %(unit)s by %(actor)s at %(at)s.")
    elif happened.hook == CaseHook.RESOLVED:
        text = _("%(kind)s received %(received)s: resolved by %(actor)s at %(at)s.")
    else:
        text = _("%(kind)s received %(received)s: closed by %(actor)s at %(at)s.")
    lines = [text % values]
    note = str(happened.data.get("note") or "").strip()
    if note:
        # The note is free text: phone numbers in it are masked for a masked reader.
        lines.append(_("Note: %(note)s") % {"note": text_for(person, note[:300])})
    if calls_back:
        lines.append(_("The callback is yours: ask the customer whether they are satisfied."))
    return "\n".join(lines)


def on_case_step(happened: CaseHappened) -> None:
    """Tell the case's followers that it was dispatched, resolved or closed (in the step's
    transaction). One message per step and person: the key is the step's timeline event, so
    a step announced twice sends nothing new and a re-dispatch, a new step, is told again.
    The person who took the step is not told what they did."""
    if happened.hook not in FOLLOWED_HOOKS:
        return
    case = happened.case
    step = happened.data.get("event_seq") or case.last_event_seq
    actor_id = getattr(happened.actor, "pk", None)
    people = [p for p in followers(case) if p.pk != actor_id]
    if not people:
        return
    callers: set[int] = set()
    if happened.hook == CaseHook.RESOLVED:
        callers = set(
            CallbackTask.objects.filter(
                case=case, status=CallbackTask.Status.OPEN, caller__in=people
            ).values_list("caller_id", flat=True)
        )
    subject = _subject(happened)
    link = reverse("cases:detail", args=[case.number])
    for person in people:
        notify_staff(
            [person],
            subject,
            _body(happened, person, calls_back=person.pk in callers),
            link=link,
            reference=f"case:{case.number}",
            dedupe_prefix=f"followup:{case.pk}:{step}",
        )


# --- what a person follows -------------------------------------------------------------------


def followed_cases(user: AnyUser, *, open_only: bool) -> QuerySet[Case]:
    """The cases ``user`` took a contact on (as their first responder, or a later contact
    added to them), limited to the cases they may see, newest first. ``open_only``: those not
    yet settled with the customer (``FOLLOWED_OPEN_STATUSES``: open, or resolved and waiting
    for the callback)."""
    if not user.is_authenticated:
        return Case.objects.none()
    took = Contact.objects.filter(first_responder_id=user.pk, case__isnull=False).values("case_id")
    cases = visible_cases(user).filter(Q(first_responder_id=user.pk) | Q(pk__in=took))
    if open_only:
        cases = cases.filter(status__in=FOLLOWED_OPEN_STATUSES)
    return cases.order_by("-received_at", "-pk")


def with_callback(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with its latest callback after resolution: ``callback_status``,
    ``callback_outcome`` and ``callback_due`` (None when it has none)."""
    latest = CallbackTask.objects.filter(
        case_id=OuterRef("pk"), purpose=CallbackTask.Purpose.FIRST
    ).order_by("-created_at", "-pk")
    return cases.annotate(
        callback_status=Subquery(latest.values("status")[:1]),
        callback_outcome=Subquery(latest.values("outcome")[:1]),
        callback_due=Subquery(latest.values("due_at")[:1], output_field=DateTimeField()),
    )


@dataclass
class FollowedFilters:
    open_only: bool = True
    kind: str = ""
    received_from: date | None = None  # local dates, both included
    received_to: date | None = None


def followed_list(
    user: AnyUser, filters: FollowedFilters, now: datetime | None = None
) -> QuerySet[Case]:
    """The "我受理的" page: the followed cases narrowed by its filters, with the next
    deadline and the callback, newest first."""
    cases = filter_cases(
        user,
        followed_cases(user, open_only=filters.open_only),
        CaseFilters(
            kind=filters.kind,
            received_from=filters.received_from,
            received_to=filters.received_to,
        ),
        now or timezone.now(),
    )
    return (
        with_callback(with_next_due(cases))
        .select_related("responsible_unit", "assignee")
        .order_by("-received_at", "-pk")
    )
