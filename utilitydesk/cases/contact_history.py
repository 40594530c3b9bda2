"""What the cases app adds to the customer 360 page (registered in apps.py): the calls,
the cases opened and the texts sent, for the contact history (the major faults' banner
and supply status are the outages app's)."""

from django.db.models import Exists, Min, OuterRef, Q
from django.utils.translation import gettext as _

from utilitydesk.customers.panels import HistoryEntry
from utilitydesk.notifications.models import Channel, Message
from utilitydesk.org.selectors import station_scope
from utilitydesk.privacy.masking import text_for

from .models import Contact
from .selectors import visible_cases


def _numbers(customer) -> list[str]:
    return [p.number for p in customer.phones.all()]


def contact_entries(user, customer, limit: int) -> list[HistoryEntry]:
    """Every call, visit or letter of the customer (or from one of their numbers while
    unrecognised): answered on the spot, opening a case, or added to an existing one."""
    if not user.has_perm("cases.view_case"):
        return []
    numbers = _numbers(customer)
    condition = Q(customer=customer)
    if numbers:
        condition |= Q(customer__isnull=True, caller_phone__in=numbers)
    query = Contact.objects.filter(condition)
    if station_scope(user) is not None:
        query = query.filter(Q(case__isnull=True) | Q(case__in=visible_cases(user)))
    contacts = list(
        query.select_related("case", "first_responder", "major_fault").order_by(
            "-received_at", "-pk"
        )[:limit]
    )
    case_ids = {c.case_id for c in contacts if c.case_id}
    first_of_case = dict(
        Contact.objects.filter(case_id__in=case_ids)
        .values("case_id")
        .annotate(first=Min("pk"))
        .values_list("case_id", "first")
    )
    entries = []
    for contact in contacts:
        text = contact.content
        if contact.case_id is None:
            kind, label = "call", _("Answered on the spot")
            if contact.answer:
                text += "\n" + _("Answer: %(answer)s") % {"answer": contact.answer}
        elif first_of_case.get(contact.case_id) == contact.pk:
            kind, label = "case", _("Opened a case")
        else:
            kind, label = "merged", _("Added to an open case")
        detail = f"{contact.get_channel_display()} · {contact.get_kind_display()}"
        if contact.major_fault is not None:
            detail += " · " + _("Major fault: %(title)s") % {"title": contact.major_fault.title}
        entries.append(
            HistoryEntry(
                at=contact.received_at,
                key=f"contact:{contact.pk:012d}",
                kind=kind,
                label=label,
                text=text_for(user, text),
                case_number=contact.case.number if contact.case is not None else "",
                actor=contact.first_responder,
                detail=detail,
            )
        )
    return entries


def case_entries(user, customer, limit: int) -> list[HistoryEntry]:
    """Cases of the customer opened without a recorded contact (imported, or made by a
    process); cases opened by a call are shown with that call."""
    cases = (
        visible_cases(user)
        .filter(customer=customer)
        .exclude(Exists(Contact.objects.filter(case=OuterRef("pk"))))
        .select_related("first_responder")
        .order_by("-received_at", "-pk")[:limit]
    )
    return [
        HistoryEntry(
            at=case.received_at,
            key=f"case:{case.pk:012d}",
            kind="case",
            label=_("Case opened"),
            text=text_for(user, case.content),
            case_number=case.number,
            actor=case.first_responder,
            detail=f"{case.get_channel_display()} · {case.get_kind_display()}",
        )
        for case in cases
    ]


def text_message_entries(user, customer, limit: int) -> list[HistoryEntry]:
    """Texts sent to the customer's numbers, or about one of their cases."""

    if not user.has_perm("cases.view_case"):
        return []
    numbers = _numbers(customer)
    references = [
        f"case:{n}"
        for n in visible_cases(user).filter(customer=customer).values_list("number", flat=True)
    ]
    to_numbers = Q(address__in=numbers)
    if station_scope(user) is not None:
        # Field staff: texts about cases of other stations stay hidden.
        to_numbers &= ~Q(reference__startswith="case:")
    condition = Q(reference__in=references) | to_numbers if numbers else Q(reference__in=references)
    if not numbers and not references:
        return []
    messages = Message.objects.filter(condition, channel=Channel.SMS).select_related("sent_by")
    return [
        HistoryEntry(
            at=message.created_at,
            key=f"sms:{message.pk:012d}",
            kind="sms",
            label=_("Text message sent"),
            text=text_for(user, message.body),
            case_number=message.reference.removeprefix("case:")
            if message.reference.startswith("case:")
            else "",
            actor=message.sent_by,
            detail=message.get_status_display(),
        )
        for message in messages.order_by("-created_at", "-pk")[:limit]
    ]
