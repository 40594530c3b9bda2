"""What a household does on its own pages (/my/): sign in with a texted code, bind its
accounts, report a fault, rate a resolved case. Every action a case sees is recorded as
the self-service account (settings.SELFSERVICE_ACTOR), through the same services the
hotline uses."""

import hashlib
import hmac
import io
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from utilitydesk.accounts.typing import Actor
from utilitydesk.arrears import services as arrears
from utilitydesk.arrears.models import HeatApplication
from utilitydesk.billing.models import Bill, BillStatus
from utilitydesk.callbacks import services as callbacks
from utilitydesk.callbacks.models import CallbackTask, Outcome
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import OPEN_STATUSES, Case, Channel, Contact, Kind, Status
from utilitydesk.customers import phones as phone_numbers
from utilitydesk.customers.models import Customer, CustomerPhone, Premises
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import send_sms
from utilitydesk.org.models import OrgUnit, Position
from utilitydesk.org.services import assign_position
from utilitydesk.policy import services as policy
from utilitydesk.privacy.masking import mask_phone
from utilitydesk.temperature import services as temperature
from utilitydesk.wechat import services as wechat_services

from .models import (
    PHONE_ONLY_PROOFS,
    BindFailure,
    Binding,
    Gate,
    Photo,
    Rating,
    SignInCode,
)

type Upload = UploadedFile[bytes]

CODE_DIGITS = 6
# What a household may report from its page: the kinds the hotline opens a case for.
REPORT_KINDS = (Kind.REPAIR, Kind.COMPLAINT, Kind.CONSULTATION, Kind.SUGGESTION, Kind.PRAISE)
RATINGS = (Outcome.SATISFIED, Outcome.BASICALLY, Outcome.DISSATISFIED)
RATABLE = {Status.RESOLVED, Status.CALLBACK_DONE, Status.CLOSED}
DESCRIPTION_MAX = 1000
PURGE_AFTER_DAYS = 30


class NotConfigured(Exception):
    """The self-service account named by settings.SELFSERVICE_ACTOR is missing, or has a
    usable password."""


def actor() -> Actor:
    account = (
        get_user_model().objects.filter(username=settings.SELFSERVICE_ACTOR, is_active=True).first()
    )
    # An account someone could sign in as would let them act as every household.
    if account is None or account.has_usable_password():
        raise NotConfigured(settings.SELFSERVICE_ACTOR)
    return account


@transaction.atomic
def create_account(unit: OrgUnit) -> Actor:
    """The self-service account (settings.SELFSERVICE_ACTOR), or the existing one: a
    hotline agent of ``unit`` (the service centre) nobody can sign in as."""
    account, _created = get_user_model().objects.get_or_create(
        username=settings.SELFSERVICE_ACTOR,
        defaults={"first_name": _("Self-service"), "is_active": True},
    )
    account.set_unusable_password()
    account.is_active, account.is_staff, account.is_superuser = True, False, False
    account.save()
    assign_position(account, unit, Position.AGENT)
    return account


def clean_phone(raw: str) -> str:
    phone = phone_numbers.normalize(raw)
    if not phone_numbers.MOBILE.match(phone):
        raise ValidationError({"phone": [_("Give a mobile phone number of 11 digits.")]})
    return phone


def _digest(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"selfservice:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _lock(*keys: str) -> None:
    """Lock the limits' rows (inside the caller's transaction), in one order so two
    requests never wait for each other crosswise. The keys are stored as digests: no
    phone number or address in this table."""
    secret = settings.SECRET_KEY.encode()
    digests = sorted(
        {hmac.new(secret, f"gate:{k}".encode(), hashlib.sha256).hexdigest() for k in keys}
    )
    for digest in digests:
        Gate.objects.get_or_create(key=digest)
        Gate.objects.select_for_update().filter(key=digest).first()


def compact(raw: str) -> str:
    """An account number or name as typed on a phone, full-width and spaced
    (1234 5678, １２３４５６７８, 张 三), made comparable."""
    return "".join(unicodedata.normalize("NFKC", raw or "").split())


# --- signing in -------------------------------------------------------------------------------


def request_code(raw_phone: str, *, ip_address: str | None, now: datetime | None = None) -> str:
    """Text a sign-in code to the number; returns the number as stored. Refused when the
    number or the address asked too often (the code rows are the counters)."""
    now = now or timezone.now()
    phone = clean_phone(raw_phone)
    hour_ago = now - timedelta(hours=1)
    with transaction.atomic():
        _lock(f"code:{phone}", *([f"code-ip:{ip_address}"] if ip_address else []))
        recent = SignInCode.objects.filter(phone=phone, created_at__gte=hour_ago)
        last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and now - last < timedelta(
            seconds=settings.SELFSERVICE_CODE_INTERVAL_SECONDS
        ):
            raise ValidationError(
                {"phone": [_("A code was just sent. Wait a minute before asking again.")]}
            )
        if recent.count() >= settings.SELFSERVICE_CODES_PER_PHONE_PER_HOUR:
            raise ValidationError(
                {"phone": [_("Too many codes for this number. Try again in an hour.")]}
            )
        if (
            ip_address
            and SignInCode.objects.filter(ip_address=ip_address, created_at__gte=hour_ago).count()
            >= settings.SELFSERVICE_CODES_PER_ADDRESS_PER_HOUR
        ):
            raise ValidationError(
                {"phone": [_("Too many codes from this network. Try again in an hour.")]}
            )
        code = "".join(secrets.choice("0123456789") for _i in range(CODE_DIGITS))
        SignInCode.objects.create(
            phone=phone,
            digest=_digest(phone, code),
            ip_address=ip_address,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.SELFSERVICE_CODE_TTL_SECONDS),
        )
    minutes = max(1, settings.SELFSERVICE_CODE_TTL_SECONDS // 60)
    # The code reaches only the gateway: the stored message and the outbox read ******.
    message = send_sms(
        phone,
        _("Your sign-in code is {code}, valid for %(minutes)d minutes. Do not tell anyone.")
        % {"minutes": minutes},
        reference="selfservice:sign-in",
        secret={"code": code},
    )
    if message is None or message.status == Message.Status.FAILED:
        raise ValidationError(
            {"phone": [_("The text message could not be sent. Try again in a minute.")]}
        )
    return phone


def verify_code(raw_phone: str, code: str, *, now: datetime | None = None) -> str:
    """The number, when ``code`` is its latest live code; each wrong try counts, and a code
    tried too often is dead."""
    now = now or timezone.now()
    phone = clean_phone(raw_phone)
    code = (code or "").strip()
    error: str | None = None
    with transaction.atomic():
        latest = (
            SignInCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if latest is None or latest.expires_at <= now:
            error = _("The code has expired or was never sent. Ask for a new one.")
        elif latest.attempts >= settings.SELFSERVICE_CODE_MAX_ATTEMPTS:
            error = _("Too many wrong codes. Ask for a new one.")
        else:
            latest.attempts += 1
            if hmac.compare_digest(latest.digest, _digest(phone, code)):
                latest.used_at = now
            else:
                error = _("The code is wrong.")
            latest.save(update_fields=["attempts", "used_at"])
    if error:
        raise ValidationError({"code": [error]})
    return phone


# --- binding accounts -------------------------------------------------------------------------


def _amount(raw: str) -> Decimal | None:
    try:
        return Decimal((raw or "").strip().replace(",", "").replace("¥", "")).quantize(
            Decimal("0.01")
        )
    except InvalidOperation:
        return None


def last_bill(customer: Customer) -> Bill | None:
    return (
        Bill.objects.filter(customer=customer, status=BillStatus.ISSUED)
        .order_by("-season", "-issued_at", "-pk")
        .first()
    )


def bind(
    phone: str,
    account_no: str,
    name: str = "",
    bill_amount: str = "",
    *,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> Binding:
    """Bind an account to the signed-in number on proof: the account number with the
    holder's name, or with the last bill's amount. The answer to a wrong proof never says
    which part was wrong; failures are limited per number, per account and per address,
    and the account's own numbers are told of every new binding."""
    now = now or timezone.now()
    account_no, name = compact(account_no), compact(name)
    errors: dict[str, list[str]] = {}
    if not account_no:
        errors["account_no"] = [_("Give the account number printed on your bill.")]
    if not name and not (bill_amount or "").strip():
        errors["name"] = [_("Give the account holder's name or the last bill's amount.")]
    amount = _amount(bill_amount) if (bill_amount or "").strip() else None
    if (bill_amount or "").strip() and amount is None:
        errors["bill_amount"] = [_("Give the amount as a number, for example 2316.60.")]
    if errors:
        raise ValidationError(errors)
    day_ago = now - timedelta(days=1)
    refused = _("Too many failed tries today. Call the hotline for help.")
    created = False
    with transaction.atomic():
        _lock(
            f"bind:{phone}",
            f"bind-account:{account_no}",
            *([f"bind-ip:{ip_address}"] if ip_address else []),
        )
        recent = BindFailure.objects.filter(at__gte=day_ago)
        if (
            recent.filter(phone=phone).count() >= settings.SELFSERVICE_BIND_FAILURES_PER_DAY
            or recent.filter(account_no=account_no).count()
            >= getattr(settings, "SELFSERVICE_BIND_FAILURES_PER_ACCOUNT_PER_DAY", 10)
            or (
                ip_address
                and recent.filter(ip_address=ip_address).count()
                >= getattr(settings, "SELFSERVICE_BIND_FAILURES_PER_ADDRESS_PER_DAY", 30)
            )
        ):
            raise ValidationError({"account_no": [refused]})
        customer = Customer.objects.filter(account_no=account_no).first()
        proof = _proof(customer, name, amount)
        if customer is None or not proof:
            # Recorded and committed before the refusal is raised.
            BindFailure.objects.create(
                phone=phone, account_no=account_no[:32], ip_address=ip_address, at=now
            )
            binding = None
        else:
            binding, created = Binding.objects.get_or_create(
                phone=phone,
                customer=customer,
                defaults={"proof": proof, "created_at": now, "last_used_at": now},
            )
    if binding is None:
        raise ValidationError(
            {"account_no": [_("The account number and the proof do not match our records.")]}
        )
    if created:
        _tell_account(binding)
    return binding


def _proof(customer: Customer | None, name: str, amount: Decimal | None) -> str:
    if customer is None:
        return ""
    if name and compact(customer.name) == name:
        return Binding.Proof.NAME
    if amount is not None:
        bill = last_bill(customer)
        if bill is not None and bill.total == amount:
            return Binding.Proof.BILL
    return ""


def _tell_account(binding: Binding) -> None:
    """A text to the account's numbers on record (not the one that bound it): whoever
    bound it without the household's knowledge is found out."""
    customer = binding.customer
    numbers = set(customer.phones.values_list("number", flat=True)) - {binding.phone}
    for number in sorted(numbers):
        send_sms(
            number,
            _(
                "Account %(account)s was bound to %(phone)s on the self-service pages. "
                "If this was not you, call %(hotline)s."
            )
            % {
                "account": customer.account_no,
                "phone": mask_phone(binding.phone),
                "hotline": getattr(settings, "OUTAGE_NOTICE_HOTLINE", "96300"),
            },
            reference="selfservice:bound",
            dedupe_key=f"selfservice:bound:{binding.pk}:{number}",
        )


MAX_ID = 2**31 - 1  # the id columns' range: a longer number in a URL is simply not found


def unbind(phone: str, customer_id: int) -> bool:
    if not 0 < customer_id <= MAX_ID:
        return False
    deleted, _rows = Binding.objects.filter(phone=phone, customer_id=customer_id).delete()
    wechat_services.forget_customer(phone, customer_id)
    return deleted > 0


def refresh_bindings(phone: str, *, now: datetime | None = None) -> int:
    """At sign-in: the number's bindings that can no longer be trusted are dropped — unused
    for SELFSERVICE_BINDING_IDLE_DAYS (the number may have a new owner), or proved by the
    number alone while the account's record no longer lists it — and the rest are marked
    used. Returns how many were dropped (they need the proof again)."""
    now = now or timezone.now()
    idle_since = now - timedelta(days=settings.SELFSERVICE_BINDING_IDLE_DAYS)
    bindings = list(
        Binding.objects.filter(phone=phone).only("customer_id", "proof", "last_used_at")
    )
    listed = set(
        CustomerPhone.objects.filter(
            customer_id__in=[b.customer_id for b in bindings], number=phone
        ).values_list("customer_id", flat=True)
    )
    dropped = 0
    for binding in bindings:
        if binding.last_used_at < idle_since or (
            binding.proof in PHONE_ONLY_PROOFS and binding.customer_id not in listed
        ):
            dropped += int(unbind(phone, binding.customer_id))
    Binding.objects.filter(phone=phone).update(last_used_at=now)
    return dropped


# --- reporting a fault ------------------------------------------------------------------------


@dataclass
class FaultReport:
    premises_id: int
    kind: str
    description: str
    photos: Sequence[Upload] = ()


PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}  # HEIF only with pillow_heif
PHOTO_LONGEST_SIDE = 1600


def _photo_jpeg(upload: Upload) -> bytes | None:
    """The photo re-encoded as a JPEG of at most 1600 px, turned upright and without its
    metadata; None when it is not a picture."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            # Opening reads only the header: the size is known before any pixel is decoded.
            if image.format not in PHOTO_FORMATS or (
                image.width * image.height > settings.SELFSERVICE_PHOTO_MAX_PIXELS
            ):
                return None
            if image.format in ("JPEG", "MPO"):
                # Decoded at a fraction of the size: a 48-megapixel photo never fills memory.
                image.draft("RGB", (PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))
            upright = ImageOps.exif_transpose(image).convert("RGB")
            upright.thumbnail((PHOTO_LONGEST_SIDE, PHOTO_LONGEST_SIDE))
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=82)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def _clean_photos(photos: Sequence[Upload], errors: dict[str, list[str]]) -> list[bytes]:
    if len(photos) > settings.SELFSERVICE_PHOTOS_PER_REPORT:
        errors["photos"] = [
            _("At most %(n)d photos.") % {"n": settings.SELFSERVICE_PHOTOS_PER_REPORT}
        ]
        return []
    cleaned = []
    for photo in photos:
        if (photo.size or 0) > settings.SELFSERVICE_PHOTO_MAX_BYTES:
            errors["photos"] = [
                _("Each photo at most %(mb)d MB.")
                % {"mb": settings.SELFSERVICE_PHOTO_MAX_BYTES // (1024 * 1024)}
            ]
            return []
        jpeg = _photo_jpeg(photo)
        if jpeg is None:
            errors["photos"] = [_("Attach photos only (JPEG, PNG or WebP).")]
            return []
        cleaned.append(jpeg)
    return cleaned


def _checked_report(phone: str, data: FaultReport) -> tuple[Premises, str, list[bytes]]:
    """The report's premises (one of the bound accounts'), description and photos, or
    every field's error at once."""
    errors: dict[str, list[str]] = {}
    photos = _clean_photos(data.photos, errors)
    premises = (
        Premises.objects.filter(
            pk=data.premises_id,
            customer_id__in=Binding.objects.filter(phone=phone).values("customer_id"),
        )
        .select_related("customer")
        .first()
    )
    if premises is None:
        errors["premises"] = [_("Choose one of your addresses.")]
    if data.kind not in REPORT_KINDS:
        errors["kind"] = [_("Choose what it is about.")]
    description = (data.description or "").strip()
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]
    if errors or premises is None:
        raise ValidationError(errors)
    return premises, description, photos


def _keep_photos(case: Case, photos: list[bytes], now: datetime) -> None:
    for jpeg in photos:
        photo = Photo(case=case, created_at=now)
        photo.file.save(f"{secrets.token_hex(12)}.jpg", ContentFile(jpeg), save=False)
        photo.save()


def report(phone: str, data: FaultReport, *, now: datetime | None = None) -> Contact:
    """A contact on the web channel through the hotline's intake: the same duplicate check
    (``cases.DuplicateWarning`` when the household has such a case open), hold by an
    interruption and routing; the photos kept with the case."""
    now = now or timezone.now()
    premises, description, photos = _checked_report(phone, data)
    with transaction.atomic():
        # Two taps on "send": the second waits here, then meets the first as a duplicate.
        Premises.objects.select_for_update().filter(pk=premises.pk).first()
        contact = _web_contact(phone, premises, data.kind, description, now=now)
        _keep_photos(cast(Case, contact.case), photos, now)
    return contact


def add_to_case(
    phone: str, number: str, data: FaultReport, *, now: datetime | None = None
) -> Contact:
    """The report met the household's open case for the same address: its description
    (and photos) join that case instead of opening a second, as the hotline records a
    repeat call — a web contact linked to the case, "customer contacted again" on its
    timeline with the text."""
    now = now or timezone.now()
    premises, description, photos = _checked_report(phone, data)
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(number=number, premises=premises, status__in=OPEN_STATUSES)
            .first()
        )
        if case is None:
            raise ValidationError(
                {"premises": [_("That case is no longer open for this address. Send it anew.")]}
            )
        contact = _web_contact(
            phone, premises, case.kind, description, now=now, link_to_case=case.number
        )
        _keep_photos(case, photos, now)
    return contact


def _web_contact(
    phone: str,
    premises: Premises,
    kind: str,
    description: str,
    *,
    now: datetime,
    link_to_case: str = "",
) -> Contact:
    """The household's report as a web-channel contact through the cases intake."""
    return cases.create_contact(
        cases.ContactInput(
            channel=Channel.WEB,
            kind=kind,
            content=description,
            customer_id=premises.customer_id,
            premises_id=premises.pk,
            caller_name=premises.customer.name,
            caller_phone=phone,
            link_to_case=link_to_case,
        ),
        actor=actor(),
        now=now,
    )


def _bound_premises(phone: str, premises_id: int | None) -> Premises:
    premises = (
        Premises.objects.filter(
            pk=premises_id or 0,
            customer_id__in=Binding.objects.filter(phone=phone).values("customer_id"),
        )
        .select_related("customer")
        .first()
    )
    if premises is None:
        raise ValidationError({"premises": [_("Choose one of your addresses.")]})
    return premises


def request_temperature(
    phone: str, premises_id: int | None, note: str = "", *, now: datetime | None = None
) -> Case:
    """A measurement of the home's temperature, through the temperature app's request (a
    temperature case routed to the station); one open request per home."""
    now = now or timezone.now()
    premises = _bound_premises(phone, premises_id)
    note = (note or "").strip()
    if len(note) > DESCRIPTION_MAX:
        raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]})
    account = actor()
    with transaction.atomic():
        # Two taps on "send": the second waits here, then finds the first one's case.
        Premises.objects.select_for_update().filter(pk=premises.pk).first()
        open_case = (
            Case.objects.filter(premises=premises, kind=Kind.TEMPERATURE, status__in=OPEN_STATUSES)
            .values_list("number", flat=True)
            .first()
        )
        if open_case:
            raise ValidationError(
                {
                    "premises": [
                        _("A measurement for this home is already under way: case %(number)s.")
                        % {"number": open_case}
                    ]
                }
            )
        return temperature.request_measurement(
            premises.pk,
            note,
            channel=Channel.WEB,
            caller_name=premises.customer.name,
            caller_phone=phone,
            actor=account,
            now=now,
        )


def apply_for_heat(
    phone: str, premises_id: int | None, kind: str, note: str = "", *, now: datetime | None = None
) -> HeatApplication:
    """Stop or resume heat for the next season, through the arrears app's application (its
    window, its checks, the station's valve work order)."""
    premises = _bound_premises(phone, premises_id)
    note = (note or "").strip()
    if len(note) > DESCRIPTION_MAX:
        raise ValidationError({"note": [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]})
    return arrears.apply_for_heat(premises.pk, kind, note, actor=actor(), now=now)


# --- rating a resolved case -------------------------------------------------------------------


def finished_at(case: Case) -> datetime | None:
    """When the work ended: resolved, or closed with its cause (settled after an
    interruption) without a resolution of its own."""
    return case.resolved_at or case.closed_at


def reopen_days(case: Case) -> int:
    """The rating window of the policy the case was created under (the published one for a
    case without), like the case's other commitments."""
    return policy.selfservice_reopen_days(case.policy_version or policy.current_policy())


def may_rate(case: Case, now: datetime) -> bool:
    """A finished case not yet rated for this resolution, within the reopening window."""
    finished = finished_at(case)
    return (
        case.status in RATABLE
        and finished is not None
        and now - finished <= timedelta(days=reopen_days(case))
        and not Rating.objects.filter(case=case, resolved_at=finished).exists()
    )


def rate(
    phone: str, number: str, outcome: str, comment: str = "", *, now: datetime | None = None
) -> Rating:
    """The household's rating of its resolved case. It answers the case's open callback
    when that is the self-service account's to record; dissatisfied reopens the case
    (back to its unit, as a dissatisfied callback does)."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if outcome not in RATINGS:
        raise ValidationError({"outcome": [_("Choose how satisfied you are.")]})
    if outcome == Outcome.DISSATISFIED and not comment:
        raise ValidationError({"comment": [_("Tell us what is still wrong.")]})
    if len(comment) > DESCRIPTION_MAX:
        raise ValidationError(
            {"comment": [_("At most %(n)d characters.") % {"n": DESCRIPTION_MAX}]}
        )
    account = actor()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(
                number=number,
                customer_id__in=Binding.objects.filter(phone=phone).values("customer_id"),
            )
            .first()
        )
        if case is None:
            raise ValidationError({"outcome": [_("Unknown case.")]})
        if not may_rate(case, now):
            raise ValidationError(
                {"outcome": [_("This case can no longer be rated here. Call the hotline.")]}
            )
        rating = Rating.objects.create(
            case=case,
            phone=phone,
            outcome=outcome,
            comment=comment,
            resolved_at=cast(datetime, finished_at(case)),
            reopened=outcome == Outcome.DISSATISFIED,
            at=now,
        )
        # Only a web case's callback is the household's to answer, and only while no
        # agent has taken it; any other case's callback stays for the hotline.
        task = (
            CallbackTask.objects.filter(
                case=case,
                purpose=CallbackTask.Purpose.FIRST,
                status=CallbackTask.Status.OPEN,
                caller__isnull=True,
            ).first()
            if case.channel == Channel.WEB
            else None
        )
        label = Outcome(outcome).label
        if outcome == Outcome.DISSATISFIED and case.responsible_unit_id is None:
            _complain_anew(case, phone, comment, actor=account, now=now)
        elif task is not None:
            callbacks.record_outcome(task.pk, outcome, comment, "reopen", actor=account, now=now)
        elif outcome == Outcome.DISSATISFIED:
            cases.reopen(
                number,
                _("Customer rated on the self-service page: dissatisfied — %(comment)s")
                % {"comment": comment},
                actor=account,
                now=now,
            )
        else:
            cases.add_note(
                number,
                _("Customer rated on the self-service page: %(label)s %(comment)s")
                % {"label": label, "comment": comment},
                actor=account,
                now=now,
            )
    return rating


def _complain_anew(case: Case, phone: str, comment: str, *, actor: Actor, now: datetime) -> None:
    """A case without a unit (held by a supply interruption, closed on its restoration)
    reopened would be in nobody's queue, and the self-service account may not dispatch: the
    complaint becomes a new web case, routed by intake to the station, and the old case
    points to it."""
    contact = cases.create_contact(
        cases.ContactInput(
            channel=Channel.WEB,
            kind=case.kind,
            content=_("Still not fixed after case %(number)s: %(comment)s")
            % {"number": case.number, "comment": comment},
            customer_id=case.customer_id,
            premises_id=case.premises_id,
            caller_name=case.caller_name,
            caller_phone=phone,
            allow_duplicate=True,
        ),
        actor=actor,
        now=now,
    )
    new = cast(Case, contact.case)
    cases.add_note(
        case.number,
        _("Customer rated on the self-service page: dissatisfied — %(comment)s. New case %(new)s.")
        % {"comment": comment, "new": new.number},
        actor=actor,
        now=now,
    )


def purge(now: datetime | None = None) -> int:
    """Sign-in codes and failed bindings older than 30 days (past every limit's window, and
    they hold phone numbers), and bindings unused past the idle window."""
    cutoff = (now or timezone.now()) - timedelta(days=PURGE_AFTER_DAYS)
    codes, _rows = SignInCode.objects.filter(created_at__lt=cutoff).delete()
    failures, _rows = BindFailure.objects.filter(at__lt=cutoff).delete()
    # A binding past the idle window would be dropped at its number's next sign-in anyway;
    # the number need not be kept until then.
    idle_since = (now or timezone.now()) - timedelta(days=settings.SELFSERVICE_BINDING_IDLE_DAYS)
    idle, _rows = Binding.objects.filter(last_used_at__lt=idle_since).delete()
    return codes + failures + idle
