"""Writes for contacts and cases. Each lifecycle action locks the case row, checks the
state, the actor's permission and scope, applies the change, and appends a numbered
timeline event — all in one transaction."""

import base64
import binascii
import hashlib
import json
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.area.models import Building
from utilitydesk.customers import phones as phone_numbers
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.customers.services import address_of
from utilitydesk.knowledge.models import Entry, StandardPhrase
from utilitydesk.knowledge.selectors import render_phrase
from utilitydesk.knowledge.services import check_customer_text, record_use
from utilitydesk.notifications.services import notify_staff, send_sms, texts_sent_by
from utilitydesk.org.models import DepartmentFunction, OrgUnit, Position
from utilitydesk.org.selectors import holders_of, works_in_function

from . import deadlines as case_deadlines
from .deadline_models import CaseDeadline
from .hooks import ACTION_HOOKS, CaseHook, announce, linkable_fault
from .labels import ACTION_LABELS
from .models import (
    BACKDATED_CHANNELS,
    FIELD_KINDS,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Channel,
    Contact,
    IdempotencyRecord,
    Kind,
    RoutingRule,
    SignoffCode,
    Status,
)
from .selectors import (
    find_duplicates,
    in_unit_scope,
    signoff_may_be_exempted,
    visible_cases,
)
from .workflow import TRANSITIONS, scope_allows

# How long after a call an agent may still record it with its real received time.
LIVE_CHANNEL_GRACE = timedelta(hours=1)
CLOCK_SKEW = timedelta(minutes=2)
ON_SPOT_KINDS = {Kind.CONSULTATION, Kind.FEE}


class ConflictError(Exception):
    """Someone else changed the case first; the message says who and what."""


class DuplicateWarning(Exception):
    def __init__(self, cases: list[Case]):
        self.cases = cases
        super().__init__(_("This customer already has an open case of this kind."))


# --- numbering and routing -------------------------------------------------------------


def allocate_number(now: datetime) -> str:
    """GD + local date + daily sequence (4 digits, more after 9,999 a day).

    Runs in its own short transaction so the counter row is never held while a case is
    being created; a failed creation leaves a gap in the numbers, never a duplicate."""
    day = timezone.localtime(now).strftime("%Y%m%d")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO cases_casenumbercounter (day, last) VALUES (%s, 1) "
                "ON CONFLICT (day) DO UPDATE SET last = cases_casenumbercounter.last + 1 "
                "RETURNING last",
                [day],
            )
            value = cursor.fetchone()[0]
    else:
        with transaction.atomic():
            counter, _created = CaseNumberCounter.objects.select_for_update().get_or_create(day=day)
            CaseNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
            value = counter.last + 1
    return case_number(day, value)


def case_number(day: str, value: int) -> str:
    """The number of a day's ``value``-th case: GD + YYYYMMDD (local) + 4 or more digits."""
    return f"GD{day}{value:04d}"


def route(
    kind: str, premises: Premises | None, building: Building | None = None
) -> tuple[OrgUnit | None, RoutingRule | None]:
    """The responsible unit for a case (R-302): the first matching active rule. The place
    is the premises, or for a caller without a customer record the building picked at
    intake (its station through its substation or grid)."""
    if premises is not None:
        return route_place(kind, premises.station, premises.building.grid_id)
    if building is not None:
        return route_place(kind, building.station, building.grid_id)
    return route_place(kind, None, None)


def route_place(
    kind: str, station: OrgUnit | None, grid_id: int | None
) -> tuple[OrgUnit | None, RoutingRule | None]:
    """The first active rule matching a kind and a place's station and grid."""
    station_id = station.pk if station else None
    for rule in RoutingRule.objects.filter(is_active=True).select_related("target_unit"):
        if rule.kind and rule.kind != kind:
            continue
        if rule.station_id and rule.station_id != station_id:
            continue
        if rule.grid_id and rule.grid_id != grid_id:
            continue
        unit = None
        if rule.target == RoutingRule.Target.PREMISES_STATION:
            unit = station if station is not None and station.is_active else None
        elif rule.target == RoutingRule.Target.FUNCTION:
            unit = OrgUnit.objects.filter(function=rule.target_function, is_active=True).first()
        else:
            unit = rule.target_unit
        if unit is not None:
            return unit, rule
    return None, None


# --- events ----------------------------------------------------------------------------


def _event(case: Case, actor, action: str, before: str, note: str = "", **data: Any) -> CaseEvent:
    case.last_event_seq += 1
    return CaseEvent.objects.create(
        case=case,
        seq=case.last_event_seq,
        at=timezone.now(),
        actor=actor,
        action=action,
        from_status=before,
        to_status=case.status,
        note=note,
        data=data,
    )


def append_event(case: Case, actor, action: str, note: str = "", **data: Any) -> CaseEvent:
    """A timeline event for a change another app makes to a case the caller has locked
    (select_for_update), e.g. a complaint's new category: numbered like every event, and
    the case's version moves on so that stale forms are refused."""
    event = _event(case, actor, action, case.status, note, **data)
    case.version += 1
    case.updated_at = event.at
    case.save(update_fields=["last_event_seq", "version", "updated_at"])
    return event


# --- intake ----------------------------------------------------------------------------


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
    reaction_data: dict = field(default_factory=dict)
    major_fault_id: int | None = None  # the open major fault the call is about
    attributes: dict = field(default_factory=dict)  # e.g. pipe_diameter_mm, special
    extra: dict = field(default_factory=dict)


def _clean_contact(
    data: ContactInput, now: datetime
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
        customer = Customer.objects.filter(pk=data.customer_id).first()
        if customer is None:
            errors["customer_id"] = [_("Unknown customer.")]
    else:
        if not data.caller_name.strip():
            errors["caller_name"] = [_("Give the caller's name, or choose the customer.")]
        phone = phone_numbers.normalize(data.caller_phone)
        if not phone_numbers.is_valid(phone):
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
        phone = phone or (customer.phones.values_list("number", flat=True).first() or "")
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


def _picked_building(data: ContactInput, premises, errors: dict) -> Building | None:
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


def create_contact(actor, data: ContactInput, now: datetime | None = None) -> Contact:
    """Record a contact (R-203); it closes on the spot, joins an existing case, or opens
    a new case routed to the responsible unit."""
    if not actor.has_perm("cases.add_contact"):
        raise PermissionDenied(_("You are not allowed to record contacts."))
    now = now or timezone.now()
    customer, premises, phone, building = _clean_contact(data, now)
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
    number = allocate_number(now) if opens_case else ""
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
            _event(
                case,
                actor,
                "contact_added",
                case.status,
                data.content.strip(),
                channel=data.channel,
                contact_id=contact.pk,
            )
            case.version += 1
            case.save(update_fields=["last_event_seq", "version", "updated_at"])
            return contact
        unit, rule = route(data.kind, premises, building)
        case = Case(
            number=number,
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
            last_event_seq=2 if unit else 1,
            attributes=data.attributes,
            created_at=now,
            updated_at=now,
        )
        deadlines = case_deadlines.plan_deadlines(case, now)
        case.save(force_insert=True)
        for deadline in deadlines:
            deadline.case = case
        CaseDeadline.objects.bulk_create(deadlines)
        contact.case = case
        contact.save()
        events = creation_events(case, actor, now, unit, rule, channel=data.channel)
        CaseEvent.objects.bulk_create(events)
        announce(CaseHook.CREATED, case, actor=actor, now=now, **data.reaction_data)
    return contact


def creation_events(
    case: Case, actor, now: datetime, unit, rule, channel: str = ""
) -> list[CaseEvent]:
    """The first timeline events of a new case: registered, and dispatched when a rule
    placed it (unsaved; callers bulk-create them)."""
    actor_id = getattr(actor, "pk", actor)
    events = [
        CaseEvent(
            case=case,
            seq=1,
            at=now,
            actor_id=actor_id,
            action="registered",
            to_status=Status.REGISTERED,
            data={"channel": channel} if channel else {},
        )
    ]
    if unit is not None:
        events.append(
            CaseEvent(
                case=case,
                seq=2,
                at=now,
                actor_id=actor_id,
                action="dispatched",
                from_status=Status.REGISTERED,
                to_status=Status.DISPATCHED,
                data={"unit": unit.name, "rule": rule.name if rule else ""},
            )
        )
    return events


def create_contact_idempotent(
    actor, key: str, fingerprint: str, data: ContactInput
) -> tuple[Contact, bool]:
    """Create once per (user, Idempotency-Key); a retry returns the first contact and False."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(user=actor, key=key, fingerprint=fingerprint)
            contact = create_contact(actor, data)
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


# --- the lifecycle ---------------------------------------------------------------------


def _check_scope(actor, case: Case, scope: str) -> None:
    if scope_allows(actor, case, scope):
        return
    if scope == "unit":
        raise PermissionDenied(_("Only the responsible unit can do this."))
    raise PermissionDenied(_("Only the assigned technician or a supervisor can do this."))


def _act(
    actor,
    number: str,
    action: str,
    apply: Callable[[Case], dict[str, Any] | None],
    *,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    transition = TRANSITIONS[action]
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(number=number).first()
        if case is None:
            raise ValidationError({"case": _("Unknown case number.")})
        if not actor.has_perm(transition.permission):
            raise PermissionDenied(_("You are not allowed to do this."))
        if not actor.is_superuser and not visible_cases(actor).filter(pk=case.pk).exists():
            raise PermissionDenied(_("This case is outside your area."))
        if expected_version is not None and case.version != expected_version:
            last = case.events.order_by("-seq").select_related("actor").first()
            who = last.actor.get_username() if last and last.actor else "-"
            raise ConflictError(
                _(
                    "Case %(number)s was changed meanwhile by %(who)s (now: %(status)s). Reload it and try again."
                )
                % {"number": number, "who": who, "status": case.get_status_display()}
            )
        if case.status not in transition.sources:
            raise ValidationError(
                {
                    "status": [
                        _("“%(action)s” is not possible while the case is “%(status)s”.")
                        % {"action": action_label(action), "status": case.get_status_display()}
                    ]
                }
            )
        _check_scope(actor, case, transition.scope)
        before = case.status
        if transition.target:
            case.status = transition.target
        data = apply(case) or {}
        case.version += 1
        case.updated_at = timezone.now()
        _event(case, actor, action, before, note, **data)
        case_deadlines.on_case_action(case, action, case.updated_at, note)
        if action in ACTION_HOOKS:
            announce(ACTION_HOOKS[action], case, actor=actor, now=case.updated_at, note=note)
        case.save()
    return case


def action_label(action: str) -> str:

    return str(ACTION_LABELS.get(action, action))


def _require_text(value: str, field_name: str, message: str) -> str:
    if not (value or "").strip():
        raise ValidationError({field_name: [message]})
    return value.strip()


def _future_appointment(at: datetime | None) -> datetime:
    if at is None:
        raise ValidationError({"appointment_at": [_("Give the appointment time.")]})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at < timezone.now() - timedelta(minutes=5):
        raise ValidationError({"appointment_at": [_("The appointment cannot be in the past.")]})
    return at


def dispatch(
    actor,
    number: str,
    unit_id: int | None = None,
    note: str = "",
    expected_version=None,
    redispatch: bool = False,
) -> Case:
    def apply(case: Case):
        unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first() if unit_id else None
        if unit is None:
            unit, rule = route(case.kind, case.premises, case.building)
            case.routing_rule = rule
        else:
            case.routing_rule = None
        if unit is None:
            raise ValidationError({"unit_id": [_("Choose the unit to send the case to.")]})
        case.responsible_unit = unit
        case.assignee = None
        case.appointment_at = None
        case.dispatched_at = timezone.now()
        return {"unit": unit.name, "unit_id": unit.pk}

    if redispatch:
        note = _require_text(note, "note", _("Say why the case is re-dispatched."))
    return _act(
        actor,
        number,
        "redispatch" if redispatch else "dispatch",
        apply,
        note=note,
        expected_version=expected_version,
    )


def return_case(actor, number: str, reason: str, expected_version=None) -> Case:
    reason = _require_text(reason, "note", _("Say why the case is returned."))
    return _act(
        actor, number, "return", lambda case: None, note=reason, expected_version=expected_version
    )


def accept(actor, number: str, assignee_id: int | None = None, expected_version=None) -> Case:
    def apply(case: Case):
        assignee = _assignee(actor, case, assignee_id)
        case.assignee = assignee
        case.accepted_at = timezone.now()
        return {"assignee": assignee.get_username()}

    return _act(actor, number, "accept", apply, expected_version=expected_version)


def _assignee(actor, case: Case, assignee_id: int | None):

    if not assignee_id or assignee_id == actor.pk:
        return actor
    if not actor.has_perm("cases.supervise_case"):
        raise PermissionDenied(_("Only a supervisor can give the case to someone else."))
    person = get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    if person is None or not in_unit_scope(person, case.responsible_unit):
        raise ValidationError(
            {"assignee_id": [_("This person does not work in the responsible unit.")]}
        )
    return person


def assign(actor, number: str, assignee_id: int, expected_version=None) -> Case:
    def apply(case: Case):
        case.assignee = _assignee(actor, case, assignee_id)
        if case.status in (Status.DISPATCHED, Status.REOPENED):
            case.status = Status.ACCEPTED
            case.accepted_at = timezone.now()
        return {"assignee": case.assignee.get_username()}

    return _act(actor, number, "assign", apply, expected_version=expected_version)


def call_customer(actor, number: str, note: str = "", expected_version=None) -> Case:
    return _act(
        actor,
        number,
        "call_customer",
        lambda case: None,
        note=note,
        expected_version=expected_version,
    )


def book(
    actor, number: str, appointment_at: datetime | None, note: str = "", expected_version=None
) -> Case:
    at = _future_appointment(appointment_at)

    def apply(case: Case):
        previous = case.appointment_at
        case.appointment_at = at
        data = {"appointment_at": at.isoformat()}
        if previous:
            data["previous"] = previous.isoformat()
        return data

    return _act(actor, number, "book", apply, note=note, expected_version=expected_version)


def not_home(
    actor, number: str, note: str, new_appointment_at: datetime | None, expected_version=None
) -> Case:
    """Nobody home (R-303): a note is left and a new appointment made."""
    note = _require_text(note, "note", _("Write what the note left for the customer says."))
    at = _future_appointment(new_appointment_at)

    def apply(case: Case):
        missed = case.appointment_at
        case.appointment_at = at
        return {"missed": missed.isoformat() if missed else "", "appointment_at": at.isoformat()}

    return _act(actor, number, "not_home", apply, note=note, expected_version=expected_version)


def wait_for_customer(actor, number: str, reason: str, expected_version=None) -> Case:
    reason = _require_text(reason, "note", _("Say what the case is waiting for."))
    return _act(
        actor,
        number,
        "wait_for_customer",
        lambda case: None,
        note=reason,
        expected_version=expected_version,
    )


def resume(actor, number: str, note: str = "", expected_version=None) -> Case:
    def apply(case: Case):
        case.status = Status.BOOKED if case.appointment_at else Status.ACCEPTED
        return None

    return _act(actor, number, "resume", apply, note=note, expected_version=expected_version)


def arrive(actor, number: str, expected_version=None) -> Case:
    def apply(case: Case):
        case.on_site_at = timezone.now()
        return None

    return _act(actor, number, "arrive", apply, expected_version=expected_version)


def exempt_signoff(actor, number: str, reason: str, expected_version=None) -> Case:
    """A supervisor records why this job is resolved without the customer's sign-off."""
    reason = _require_text(reason, "note", _("Record why the customer cannot sign."))

    def apply(case: Case):
        if not signoff_may_be_exempted(case):
            raise ValidationError(
                {
                    "signoff": [
                        _(
                            "A temperature measurement is valid only with the customer's signature (or a confirmation code): it cannot be exempted."
                        )
                    ]
                }
            )
        case.signoff = "supervisor"
        case.signoff_note = reason
        case.signoff_by = actor
        return None

    return _act(
        actor, number, "exempt_signoff", apply, note=reason, expected_version=expected_version
    )


MAX_SIGNATURE_BYTES = 512 * 1024


def decode_signature(data_url: str) -> bytes:
    """A PNG drawn on the screen, sent as a data: URL."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise ValidationError({"signature": [_("The signature must be a PNG image.")]})
    try:
        raw = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": [_("The signature image is damaged.")]}) from None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n") or len(raw) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature": [_("The signature must be a PNG image.")]})
    return raw


@dataclass
class Resolution:
    work_done: str
    materials: list[dict] = field(default_factory=list)
    customer_side_fault: bool = False
    explanation: str = ""
    paid_service_handover: bool = False
    customer_consents_to_paid_service: bool = False
    signature_png: bytes | None = None


MAX_QUANTITY = 1_000_000


def _clean_materials(items: list[dict]) -> list[dict]:
    cleaned = []
    for index, item in enumerate(items or []):
        name = str(item.get("name", "")).strip()
        try:
            quantity = float(item.get("quantity", 1))
        except (TypeError, ValueError):
            quantity = -1
        # NaN and infinity pass "> 0" tests but no JSON column stores them.
        if not name or not math.isfinite(quantity) or quantity <= 0 or quantity > MAX_QUANTITY:
            raise ValidationError(
                {
                    "materials": [
                        _("Material %(n)d needs a name and a positive quantity.") % {"n": index + 1}
                    ]
                }
            )
        cleaned.append(
            {"name": name[:100], "quantity": quantity, "unit": str(item.get("unit", ""))[:10]}
        )
    return cleaned


def resolve(actor, number: str, resolution: Resolution, expected_version=None) -> Case:
    work_done = _require_text(resolution.work_done, "work_done", _("Describe the work done."))
    materials = _clean_materials(resolution.materials)
    if resolution.customer_side_fault:
        _require_text(
            resolution.explanation,
            "explanation",
            _("A fault inside the home is explained to the customer in writing."),
        )
        check_customer_text(resolution.explanation, "explanation")
    if resolution.paid_service_handover and not resolution.customer_consents_to_paid_service:
        raise ValidationError(
            {"paid_service_handover": [_("Paid service needs the customer's consent.")]}
        )

    def apply(case: Case):
        if case.kind in FIELD_KINDS and case.on_site_at is None:
            raise ValidationError({"status": [_("Record the arrival on site before resolving.")]})
        if case.kind in FIELD_KINDS:
            if resolution.signature_png:
                case.signature.save(
                    f"{case.number}.png", ContentFile(resolution.signature_png), save=False
                )
                case.signoff = "signature"
            elif case.signoff not in ("code", "supervisor"):
                raise ValidationError(
                    {
                        "signoff": [
                            _(
                                "The customer has not signed: take a signature or a confirmation code, or ask a supervisor to record why not."
                            )
                        ]
                    }
                )
        now = timezone.now()
        case.resolution = work_done
        case.materials = materials
        case.customer_side_fault = resolution.customer_side_fault
        case.customer_side_explanation = resolution.explanation.strip()
        case.paid_service_handover = resolution.paid_service_handover
        case.work_ended_at = now
        case.resolved_at = now
        return {"signoff": case.signoff, "materials": len(materials)}

    case = _act(actor, number, "resolve", apply, note=work_done, expected_version=expected_version)
    if resolution.paid_service_handover:
        _handover_to_paid_service(case)
    return case


def _handover_to_paid_service(case: Case) -> None:

    if case.responsible_unit is None:
        return
    notify_staff(
        holders_of(Position.STATION_HEAD, case.responsible_unit),
        _("Paid service requested: %(number)s") % {"number": case.number},
        _("The customer agreed to paid service after a fault inside the home: %(address)s")
        % {"address": case.address_text},
        link=f"/cases/{case.number}/",
        reference=f"case:{case.number}",
        dedupe_prefix=f"paid:{case.number}",
    )


def record_callback(actor, number: str, note: str, expected_version=None) -> Case:
    return _act(
        actor,
        number,
        "record_callback",
        lambda case: None,
        note=note,
        expected_version=expected_version,
    )


def close(actor, number: str, note: str = "", expected_version=None) -> Case:
    def apply(case: Case):
        case.closed_at = timezone.now()
        return None

    return _act(actor, number, "close", apply, note=note, expected_version=expected_version)


def reopen(actor, number: str, reason: str, expected_version=None) -> Case:
    reason = _require_text(reason, "note", _("Say why the case is reopened."))

    def apply(case: Case):
        case.resolved_at = None
        case.closed_at = None
        case.signoff = ""
        case.on_site_at = None
        case.appointment_at = None
        return None

    return _act(actor, number, "reopen", apply, note=reason, expected_version=expected_version)


def cancel(actor, number: str, reason: str, expected_version=None) -> Case:
    reason = _require_text(reason, "note", _("Say why the case is cancelled."))
    return _act(
        actor, number, "cancel", lambda case: None, note=reason, expected_version=expected_version
    )


def add_note(actor, number: str, note: str) -> Case:
    note = _require_text(note, "note", _("The note is empty."))
    return _act(actor, number, "note", lambda case: None, note=note)


def note_on_case(
    actor, number: str, note: str, change: Callable[[Case], dict[str, Any] | None]
) -> Case:
    """A change another app makes to a case, recorded as a note on its timeline (e.g.
    outages linking it to a major fault): locked, checked and numbered like ``add_note``;
    ``change`` edits the case and returns the event's data."""
    return _act(actor, number, "note", change, note=note)


def may_text_customer(actor, case: Case) -> bool:
    """Texting a case's customer is for the people acting on it: the assigned technician,
    supervisors of the responsible unit (station head, team leader) and the service
    centre — not every colleague who can read the case."""
    if actor.is_superuser or (case.assignee_id is not None and case.assignee_id == actor.pk):
        return True
    if actor.has_perm("cases.supervise_case") and in_unit_scope(actor, case.responsible_unit):
        return True
    return works_in_function(actor, DepartmentFunction.SERVICE_CENTRE)


def _start_of_day(now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def reply_to_customer(actor, number: str, text: str, phrase_id: int | None = None) -> Case:
    """Send the customer a text message about the case: a standard phrase (服务用语), or
    free text without forbidden phrases; at most CUSTOMER_SMS_PER_CASE_PER_DAY texts a
    case and CUSTOMER_SMS_PER_USER_PER_DAY a person (local day)."""

    phrase = None
    if phrase_id:
        phrase = StandardPhrase.objects.filter(pk=phrase_id).first()
        if phrase is None:
            raise ValidationError({"phrase_id": [_("Unknown standard phrase.")]})
        text = (text or "").strip() or render_phrase(phrase.text, actor)
    text = _require_text(text, "text", _("The message is empty."))
    check_customer_text(text)

    def apply(case: Case):
        if not may_text_customer(actor, case):
            raise PermissionDenied(
                _("Only the people handling the case and the service centre text its customer.")
            )
        if not case.caller_phone:
            raise ValidationError({"text": [_("The case has no phone number to send to.")]})
        since = _start_of_day(timezone.now())
        per_case = settings.CUSTOMER_SMS_PER_CASE_PER_DAY
        if case.events.filter(action="reply", at__gte=since).count() >= per_case:
            raise ValidationError(
                {
                    "text": [
                        _("This customer has had %(n)d texts about the case today: call instead.")
                        % {"n": per_case}
                    ]
                }
            )
        per_user = settings.CUSTOMER_SMS_PER_USER_PER_DAY
        if texts_sent_by(actor, since) >= per_user:
            raise ValidationError(
                {"text": [_("You have sent %(n)d texts today, the daily limit.") % {"n": per_user}]}
            )
        data: dict[str, Any] = {"to": phone_numbers.mask(case.caller_phone)}
        if phrase is not None:
            data["phrase"] = phrase.pk
        return data

    case = _act(actor, number, "reply", apply, note=text)
    send_sms(case.caller_phone, text, reference=f"case:{case.number}", sent_by=actor)
    return case


# --- sign-off by confirmation code ------------------------------------------------------

CODE_TTL = timedelta(minutes=30)
CODE_MAX_ATTEMPTS = 5


def send_signoff_code(actor, number: str) -> SignoffCode:
    code = f"{secrets.randbelow(10**6):06d}"

    def apply(case: Case):
        if case.kind not in FIELD_KINDS:
            raise ValidationError({"signoff": [_("This kind of case needs no sign-off.")]})
        if not case.caller_phone:
            raise ValidationError(
                {"signoff": [_("The case has no phone number to send the code to.")]}
            )
        return {"to": phone_numbers.mask(case.caller_phone)}

    case = _act(actor, number, "note", apply, note=_("Confirmation code sent to the customer."))
    record = SignoffCode.objects.create(
        case=case,
        code_hash=make_password(code),
        phone=case.caller_phone,
        expires_at=timezone.now() + CODE_TTL,
    )
    # The code reaches the gateway only: the stored message and the outbox show ******.
    send_sms(
        case.caller_phone,
        _(
            "Your confirmation code for work order %(number)s is %(code)s. Give it to the technician only when the work is done."
        )
        % {"number": case.number, "code": "{code}"},
        reference=f"case:{case.number}",
        secret={"code": code},
        sent_by=actor,
    )
    return record


def confirm_signoff_code(actor, number: str, code: str) -> Case:
    """Check the code the customer read out; wrong tries are counted even though they fail."""
    if not actor.has_perm("cases.handle_case"):
        raise PermissionDenied(_("You are not allowed to do this."))
    case = visible_cases(actor).filter(number=number).first()
    if case is None:
        raise ValidationError({"case": _("Unknown case number.")})
    if case.status != Status.ON_SITE:
        raise ValidationError({"code": [_("The code is confirmed on site.")]})
    with transaction.atomic():
        record = (
            SignoffCode.objects.select_for_update()
            .filter(case=case, confirmed_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-sent_at")
            .first()
        )
        if record is None:
            raise ValidationError({"code": [_("No valid code: send a new one.")]})
        if record.attempts >= CODE_MAX_ATTEMPTS:
            raise ValidationError({"code": [_("Too many wrong codes: send a new one.")]})
        record.attempts += 1
        correct = check_password((code or "").strip(), record.code_hash)
        if correct:
            record.confirmed_at = timezone.now()
        record.save(update_fields=["attempts", "confirmed_at"])
    if not correct:
        raise ValidationError({"code": [_("The code is wrong.")]})

    def apply(case: Case):
        case.signoff = "code"
        return {"signoff": "code"}

    return _act(
        actor, number, "note", apply, note=_("The customer confirmed the work with the code.")
    )


def fingerprint_of(payload: dict) -> str:

    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
