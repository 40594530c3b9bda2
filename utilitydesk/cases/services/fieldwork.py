"""The field visit: booking, arrival, resolution with the customer's sign-off (R-303),
texts to the customer (R-105) and sign-off by confirmation code."""

import base64
import binascii
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.customers import phones as phone_numbers
from utilitydesk.knowledge.models import StandardPhrase
from utilitydesk.knowledge.selectors import render_phrase
from utilitydesk.knowledge.services import check_customer_text
from utilitydesk.notifications.services import notify_staff, send_sms, texts_sent_by
from utilitydesk.org.models import DepartmentFunction, Position
from utilitydesk.org.selectors import holders_of, works_in_function

from ..models import (
    FIELD_KINDS,
    Case,
    Signoff,
    SignoffCode,
    Status,
)
from ..selectors import (
    in_unit_scope,
    signoff_may_be_exempted,
    visible_cases,
)
from .lifecycle import _act, _plain, _require_text


def _future_appointment(at: datetime | None, *, now: datetime) -> datetime:
    if at is None:
        raise ValidationError({"appointment_at": [_("Give the appointment time.")]})
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at < now - timedelta(minutes=5):
        raise ValidationError({"appointment_at": [_("The appointment cannot be in the past.")]})
    return at


def call_customer(
    number: str,
    note: str = "",
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    return _plain("call_customer", number, note, expected_version, actor=actor, now=now)


def book(
    number: str,
    appointment_at: datetime | None,
    note: str = "",
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
    at = _future_appointment(appointment_at, now=now)

    def apply(case: Case) -> dict[str, Any]:
        previous = case.appointment_at
        case.appointment_at = at
        data = {"appointment_at": at.isoformat()}
        if previous:
            data["previous"] = previous.isoformat()
        return data

    return _act(
        number,
        "book",
        apply,
        actor=actor,
        now=now,
        note=note,
        expected_version=expected_version,
        context={"appointment_at": at},
    )


def not_home(
    number: str,
    note: str,
    new_appointment_at: datetime | None,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Nobody home (R-303): a note is left and a new appointment made."""
    now = now or timezone.now()
    note = _require_text(note, "note", _("Write what the note left for the customer says."))
    at = _future_appointment(new_appointment_at, now=now)

    def apply(case: Case) -> dict[str, Any]:
        missed = case.appointment_at
        case.appointment_at = at
        return {"missed": missed.isoformat() if missed else "", "appointment_at": at.isoformat()}

    return _act(
        number,
        "not_home",
        apply,
        actor=actor,
        now=now,
        note=note,
        expected_version=expected_version,
        context={"appointment_at": at},
    )


def arrive(
    number: str, expected_version: int | None = None, *, actor: Actor, now: datetime | None = None
) -> Case:
    now = now or timezone.now()

    def apply(case: Case) -> None:
        case.on_site_at = now
        return None

    return _act(number, "arrive", apply, actor=actor, now=now, expected_version=expected_version)


def exempt_signoff(
    number: str,
    reason: str,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """A supervisor records why this job is resolved without the customer's sign-off."""
    now = now or timezone.now()
    reason = _require_text(reason, "note", _("Record why the customer cannot sign."))

    def apply(case: Case) -> None:
        if not signoff_may_be_exempted(case):
            raise ValidationError(
                {
                    "signoff": [
                        _(
                            "A temperature measurement is valid only with the customer's signature: it cannot be exempted."
                        )
                    ]
                }
            )
        case.signoff = Signoff.SUPERVISOR
        case.signoff_note = reason
        case.signoff_by = actor
        return None

    return _act(
        number,
        "exempt_signoff",
        apply,
        actor=actor,
        now=now,
        note=reason,
        expected_version=expected_version,
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
    materials: list[dict[str, Any]] = field(default_factory=list)
    customer_side_fault: bool = False
    explanation: str = ""
    paid_service_handover: bool = False
    customer_consents_to_paid_service: bool = False
    signature_png: bytes | None = None


MAX_QUANTITY = 1_000_000


def _clean_materials(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
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


def resolve(
    number: str,
    resolution: Resolution,
    expected_version: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    now = now or timezone.now()
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

    def apply(case: Case) -> dict[str, Any]:
        if case.kind in FIELD_KINDS and case.on_site_at is None:
            raise ValidationError({"status": [_("Record the arrival on site before resolving.")]})
        if case.kind in FIELD_KINDS:
            if resolution.signature_png:
                case.signature.save(
                    f"{case.number}.png", ContentFile(resolution.signature_png), save=False
                )
                case.signoff = Signoff.SIGNATURE
            elif case.signoff not in (Signoff.CODE, Signoff.SUPERVISOR):
                raise ValidationError(
                    {
                        "signoff": [
                            _(
                                "The customer has not signed: take a signature or a confirmation code, or ask a supervisor to record why not."
                            )
                        ]
                    }
                )
        case.resolution = work_done
        case.materials = materials
        case.customer_side_fault = resolution.customer_side_fault
        case.customer_side_explanation = resolution.explanation.strip()
        case.paid_service_handover = resolution.paid_service_handover
        case.work_ended_at = now
        case.resolved_at = now
        return {"signoff": case.signoff, "materials": len(materials)}

    case = _act(
        number,
        "resolve",
        apply,
        actor=actor,
        now=now,
        note=work_done,
        expected_version=expected_version,
    )
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


def may_text_customer(case: Case, *, actor: Actor) -> bool:
    """Texting a case's customer is for the people acting on it: the assigned technician,
    supervisors of the responsible unit (station head, team leader) and the service
    centre — not every colleague who can read the case."""
    if actor.is_superuser or (case.assignee_id is not None and case.assignee_id == actor.pk):
        return True
    if actor.has_perm("cases.supervise_case") and in_unit_scope(actor, case.responsible_unit):
        return True
    return works_in_function(actor, DepartmentFunction.SERVICE_CENTRE)


def _start_of_day(*, now: datetime) -> datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def reply_to_customer(
    number: str,
    text: str,
    phrase_id: int | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Case:
    """Send the customer a text message about the case: a standard phrase (服务用语), or
    free text without forbidden phrases; at most CUSTOMER_SMS_PER_CASE_PER_DAY texts a
    case and CUSTOMER_SMS_PER_USER_PER_DAY a person (local day)."""

    now = now or timezone.now()
    phrase = None
    if phrase_id:
        phrase = StandardPhrase.objects.filter(pk=phrase_id).first()
        if phrase is None:
            raise ValidationError({"phrase_id": [_("Unknown standard phrase.")]})
        text = (text or "").strip() or render_phrase(phrase.text, actor)
    text = _require_text(text, "text", _("The message is empty."))
    check_customer_text(text)

    def apply(case: Case) -> dict[str, Any]:
        if not may_text_customer(case, actor=actor):
            raise PermissionDenied(
                _("Only the people handling the case and the service centre text its customer.")
            )
        if not case.caller_phone:
            raise ValidationError({"text": [_("The case has no phone number to send to.")]})
        since = _start_of_day(now=now)
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

    case = _act(number, "reply", apply, actor=actor, now=now, note=text)
    send_sms(case.caller_phone, text, reference=f"case:{case.number}", sent_by=actor)
    return case


CODE_TTL = timedelta(minutes=30)


CODE_MAX_ATTEMPTS = 5


def send_signoff_code(number: str, *, actor: Actor, now: datetime | None = None) -> SignoffCode:
    now = now or timezone.now()
    code = f"{secrets.randbelow(10**6):06d}"

    def apply(case: Case) -> dict[str, Any]:
        if case.kind not in FIELD_KINDS:
            raise ValidationError({"signoff": [_("This kind of case needs no sign-off.")]})
        if not case.caller_phone:
            raise ValidationError(
                {"signoff": [_("The case has no phone number to send the code to.")]}
            )
        return {"to": phone_numbers.mask(case.caller_phone)}

    case = _act(
        number,
        "note",
        apply,
        actor=actor,
        now=now,
        note=_("Confirmation code sent to the customer."),
    )
    record = SignoffCode.objects.create(
        case=case,
        code_hash=make_password(code),
        phone=case.caller_phone,
        expires_at=now + CODE_TTL,
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


def confirm_signoff_code(
    number: str, code: str, *, actor: Actor, now: datetime | None = None
) -> Case:
    """Check the code the customer read out; wrong tries are counted even though they fail."""
    now = now or timezone.now()
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
            .filter(case=case, confirmed_at__isnull=True, expires_at__gt=now)
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
            record.confirmed_at = now
        record.save(update_fields=["attempts", "confirmed_at"])
    if not correct:
        raise ValidationError({"code": [_("The code is wrong.")]})

    def apply(case: Case) -> dict[str, Any]:
        case.signoff = Signoff.CODE
        return {"signoff": Signoff.CODE.value}

    return _act(
        number,
        "note",
        apply,
        actor=actor,
        now=now,
        note=_("The customer confirmed the work with the code."),
    )
