"""Recording a contact (R-201 – R-203): numbering, routing (R-302), duplicates, and the new
case with its deadlines and first events."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.area.models import Building
from utilitydesk.customers import phones as phone_numbers
from utilitydesk.customers.models import Customer, CustomerPhone, Premises
from utilitydesk.customers.services import address_of
from utilitydesk.knowledge.models import Entry
from utilitydesk.knowledge.services import check_customer_text, record_use

from .. import deadlines as case_deadlines
from ..deadline_models import CaseDeadline
from ..hooks import CaseHook, announce, hold_for, linkable_fault
from ..models import (
    ACCOUNT_CHANNELS,
    BACKDATED_CHANNELS,
    Case,
    CaseEvent,
    Channel,
    Contact,
    IdempotencyRecord,
    Kind,
    Status,
)
from ..numbering import number_for_insert
from ..routing import route
from ..selectors import (
    find_duplicates,
    visible_cases,
)
from .events import append_event, creation_events

# How long after a call an agent may still record it with its real received time.
LIVE_CHANNEL_GRACE = timedelta(hours=1)


CLOCK_SKEW = timedelta(minutes=2)


ON_SPOT_KINDS = {Kind.CONSULTATION, Kind.FEE}


class DuplicateWarning(Exception):
    def __init__(self, cases: list[Case]):
        self.cases = cases
        super().__init__(_("This customer already has an open case of this kind."))


@dataclass
class ContactInput:
    channel: str
    kind: str
    content: str
    received_at: datetime | None = None
    customer_id: int | None = None
    premises_id: int | None = None
    caller_name: str = ""
    caller_phone: str = ""
    emergency: bool = False
    answer: str = ""  # given: the contact is answered and closed on the spot
    knowledge_entry_id: int | None = None
    link_to_case: str = ""  # an existing case number the customer calls about again
    allow_duplicate: bool = False
    # A caller without a customer record: the building picked at intake and the entrance
    # (单元) and room typed; routing follows the building.
    building_id: int | None = None
    unit_no: str = ""
    room_no: str = ""
    # What the fields other apps add to intake collected (hooks.intake_fields), handed to
    # their CREATED reactions (a complaint's category and level, for example).
    reaction_data: dict[str, Any] = field(default_factory=dict)
    major_fault_id: int | None = None  # the open major fault the call is about
    # e.g. pipe_diameter_mm, special
    attributes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _clean_contact(
    data: ContactInput, *, now: datetime
) -> tuple[Customer | None, Premises | None, str, Building | None]:
    errors: dict[str, list[str]] = {}
    if data.channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if data.kind not in Kind.values:
        errors["kind"] = [_("Unknown kind of contact.")]
    if not (data.content or "").strip():
        errors["content"] = [_("Describe what the customer said.")]
    received = data.received_at or now
    if timezone.is_naive(received):
        received = timezone.make_aware(received)
    if received > now + CLOCK_SKEW:
        errors["received_at"] = [_("The received time cannot be in the future.")]
    elif data.channel not in BACKDATED_CHANNELS and received < now - LIVE_CHANNEL_GRACE:
        errors["received_at"] = [
            _("Only letters, e-mails, visits and 12345 transfers may be back-dated.")
        ]
    customer = premises = None
    phone = ""
    if data.customer_id:
        first_phone = CustomerPhone.objects.filter(customer=OuterRef("pk")).order_by(
            "position", "id"
        )
        customer = (
            Customer.objects.filter(pk=data.customer_id)
            .annotate(first_phone=Subquery(first_phone.values("number")[:1]))
            .first()
        )
        if customer is None:
            errors["customer_id"] = [_("Unknown customer.")]
    else:
        if not data.caller_name.strip():
            errors["caller_name"] = [_("Give the caller's name, or choose the customer.")]
        phone = phone_numbers.normalize(data.caller_phone)
        if not phone_numbers.is_valid(phone) and (phone or data.channel not in ACCOUNT_CHANNELS):
            errors["caller_phone"] = [_("Give a valid phone number for the caller.")]
    if customer is not None:
        premises_qs = Premises.objects.filter(customer=customer).select_related(
            "building", "station"
        )
        if data.premises_id:
            premises = premises_qs.filter(pk=data.premises_id).first()
            if premises is None:
                errors["premises_id"] = [_("These premises do not belong to the customer.")]
        elif not data.building_id:
            premises = premises_qs.first()
        phone = phone or (customer.first_phone or "")
    building = _picked_building(data, premises, errors)
    if data.answer:
        if data.kind not in ON_SPOT_KINDS:
            errors["answer"] = [_("Only consultations and fee enquiries are answered on the spot.")]
        try:
            check_customer_text(data.answer, "answer")
        except ValidationError as exc:
            errors.setdefault("answer", []).extend(exc.message_dict["answer"])
        if (
            data.knowledge_entry_id
            and not Entry.objects.filter(pk=data.knowledge_entry_id).exists()
        ):
            errors["knowledge_entry_id"] = [_("Unknown knowledge entry.")]
    if errors:
        raise ValidationError(errors)
    data.received_at = received
    return customer, premises, phone, building


PLACE_PART_MAX = 16  # as Premises.unit_no and room_no


def _picked_building(
    data: ContactInput, premises: Premises | None, errors: dict[str, list[str]]
) -> Building | None:
    """The building of the case: the premises', or the one picked in the service-area
    picker when there are no premises (an unknown caller, or a customer calling about a
    place that is not on record)."""
    if premises is not None:
        return premises.building
    data.unit_no, data.room_no = (data.unit_no or "").strip(), (data.room_no or "").strip()
    for name in ("unit_no", "room_no"):
        if len(getattr(data, name)) > PLACE_PART_MAX:
            errors[name] = [
                _("At most %(n)d characters.") % {"n": PLACE_PART_MAX},
            ]
    if not data.building_id:
        return None
    building = (
        Building.objects.filter(pk=data.building_id)
        .select_related("community__district", "substation__station", "grid__station")
        .first()
    )
    if building is None:
        errors["building_id"] = [_("Unknown building.")]
    return building


def create_contact(data: ContactInput, *, actor: Actor, now: datetime | None = None) -> Contact:
    """Record a contact (R-203); it closes on the spot, joins an existing case, or opens
    a new case routed to the responsible unit."""
    if not actor.has_perm("cases.add_contact"):
        raise PermissionDenied(_("You are not allowed to record contacts."))
    if data.channel == Channel.INTERNAL:
        raise ValidationError({"channel": [_("Choose the channel the customer used.")]})
    return _record_contact(data, actor=actor, now=now or timezone.now())


def open_follow_up(data: ContactInput, *, actor: Actor, now: datetime | None = None) -> Case:
    """A case the company opens itself as the consequence of work a person may do (the
    adjustment after a failed temperature measurement, the re-measurement after it): on the
    internal channel, routed like any case, with ``actor`` as its first responder; no
    intake permission needed."""
    data.channel = Channel.INTERNAL
    data.answer, data.link_to_case, data.allow_duplicate = "", "", True
    contact = _record_contact(data, actor=actor, now=now or timezone.now())
    return cast(Case, contact.case)


def _record_contact(data: ContactInput, *, actor: Actor, now: datetime) -> Contact:
    customer, premises, phone, building = _clean_contact(data, now=now)
    received_at = cast(datetime, data.received_at)  # _clean_contact sets it
    fault = None
    if data.major_fault_id:
        fault = linkable_fault(actor, data.major_fault_id)  # registered by outages
        if fault is None:
            raise ValidationError({"major_fault_id": [_("Unknown major fault.")]})
    opens_case = not data.answer and not data.link_to_case
    if opens_case and customer is not None and not data.allow_duplicate:
        duplicates = find_duplicates(customer, premises, data.kind, now)
        if duplicates:
            raise DuplicateWarning(duplicates)
    contact = Contact(
        channel=data.channel,
        kind=data.kind,
        content=data.content.strip(),
        received_at=received_at,
        recorded_at=now,
        customer=customer,
        caller_name=data.caller_name.strip() or (customer.name if customer else ""),
        caller_phone=phone,
        first_responder=actor,
        closed_on_spot=bool(data.answer),
        answer=data.answer,
        knowledge_entry_id=data.knowledge_entry_id if data.answer else None,
        major_fault=fault,
    )
    with transaction.atomic():
        if data.answer:
            contact.save()
            if data.knowledge_entry_id:
                record_use(data.knowledge_entry_id)
            return contact
        if data.link_to_case:
            case = Case.objects.select_for_update().filter(number=data.link_to_case).first()
            if case is None or not visible_cases(actor).filter(pk=case.pk).exists():
                raise ValidationError({"link_to_case": _("Unknown case number.")})
            contact.case = case
            contact.save()
            append_event(
                case,
                "contact_added",
                data.content.strip(),
                actor=actor,
                now=now,
                data={"channel": data.channel, "contact_id": contact.pk},
            )
            return contact
        # A call about a cause already being dealt with (an active supply interruption) is
        # held by it, not routed: no unit, no deadlines of its own; settled on restoration.
        hold = hold_for(
            actor, kind=data.kind, premises=premises, building=building, data=data.reaction_data
        )
        unit, rule = (None, None) if hold else route(data.kind, premises, building)
        case = Case(
            number=number_for_insert(now=now),  # on PostgreSQL, from the INSERT
            kind=data.kind,
            channel=data.channel,
            content=contact.content,
            received_at=received_at,
            customer=customer,
            premises=premises,
            caller_name=contact.caller_name,
            caller_phone=phone,
            building=building,
            address_text=(
                premises.address_text
                if premises
                else address_of(building, data.unit_no, data.room_no)
                if building
                else data.extra.get("address", "")
            ),
            first_responder=actor,
            emergency=data.emergency,
            status=Status.DISPATCHED if unit else Status.REGISTERED,
            responsible_unit=unit,
            routing_rule=rule,
            major_fault=fault,
            dispatched_at=now if unit else None,
            last_event_seq=2 if unit or hold else 1,
            attributes={**data.attributes, Case.HELD_BY: hold.reference}
            if hold
            else data.attributes,
            created_at=now,
            updated_at=now,
        )
        deadlines = case_deadlines.plan_deadlines(case, now)
        if hold:
            deadlines, case.next_check_at = [], None
        case.save(force_insert=True)
        for deadline in deadlines:
            deadline.case = case
        CaseDeadline.objects.bulk_create(deadlines)
        contact.case = case
        contact.save()
        events = creation_events(
            case, unit, rule, actor=actor, now=now, channel=data.channel, hold=hold
        )
        CaseEvent.objects.bulk_create(events)
        announce(CaseHook.CREATED, case, actor=actor, now=now, **data.reaction_data)
    return contact


def create_contact_idempotent(
    key: str, fingerprint: str, data: ContactInput, *, actor: Actor, now: datetime | None = None
) -> tuple[Contact, bool]:
    """Create once per (user, Idempotency-Key); a retry returns the first contact and False."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=actor, key=key, fingerprint=fingerprint)
            contact = create_contact(data, actor=actor, now=now)
            record.contact = contact
            record.save(update_fields=["contact"])
            return contact, True
    except IntegrityError:
        found = (
            IdempotencyRecord.objects.filter(user=actor, key=key).select_related("contact").first()
        )
        if found is None:
            raise
        record = found
    if record.fingerprint != fingerprint:
        raise ValidationError(
            {"Idempotency-Key": [_("This key was already used for a different request.")]}
        )
    # The contact is set in the transaction that made the record.
    return cast(Contact, record.contact), False


def fingerprint_of(payload: dict[str, Any]) -> str:

    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
