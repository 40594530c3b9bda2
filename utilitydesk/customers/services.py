"""Writes to customer master data. Every write records who, when and old → new (R-104)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Model, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from utilitydesk.accounts.typing import Actor
from utilitydesk.area.models import Building
from utilitydesk.audit.models import AccessLog, ChangeRecord
from utilitydesk.audit.services import diff_values, record_changes
from utilitydesk.kernel.background import enqueue
from utilitydesk.privacy.access import record_access, record_export

from .cleaning import address_of, clean_area, clean_phone_list
from .importing import ImportInterrupted, file_too_large, import_customers, write_export
from .models import (
    Customer,
    CustomerPhone,
    CustomerType,
    EntryError,
    Grade,
    GradeChangeRequest,
    ImportJob,
    Premises,
    SpecialCare,
    SupplyStatus,
)
from .selectors import CustomerFilters, search_customers
from .tasks import run_import_job

CUSTOMER_FIELDS = ("name", "customer_type", "special_care", "notes", "long_term_since")
PREMISES_FIELDS = (
    "building",
    "unit_no",
    "room_no",
    "heated_area",
    "status",
    "metered",
    "meter_no",
    "equipment",
)


def customer_snapshot(customer: Customer, phone_list: list[str] | None = None) -> dict[str, Any]:
    snapshot = {field: getattr(customer, field) for field in CUSTOMER_FIELDS}
    snapshot["grade"] = customer.grade
    if phone_list is None:
        phone_list = [p.number for p in customer.phones.all()]
    snapshot["phones"] = ";".join(phone_list)
    return snapshot


def premises_snapshot(premises: Premises) -> dict[str, Any]:
    snapshot = {field: getattr(premises, field) for field in PREMISES_FIELDS if field != "building"}
    snapshot["building"] = premises.building_id
    snapshot["heated_area"] = f"{Decimal(premises.heated_area):.2f}"
    return snapshot


def _set_phones(customer: Customer, numbers: list[str]) -> None:
    customer.phones.exclude(number__in=numbers).delete()
    existing = {p.number: p for p in customer.phones.all()}
    for position, number in enumerate(numbers):
        phone = existing.get(number)
        if phone is None:
            CustomerPhone.objects.create(customer=customer, number=number, position=position)
        elif phone.position != position:
            phone.position = position
            phone.save(update_fields=["position"])


def _require(perm: str, *, actor: Actor) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You are not allowed to do this."))


@dataclass
class CustomerInput:
    name: str
    phones: list[str]
    customer_type: str = CustomerType.RESIDENT
    special_care: str = SpecialCare.NONE
    notes: str = ""


@transaction.atomic
def create_customer(
    account_no: str,
    data: CustomerInput,
    premises: dict[str, Any],
    source: str = "web",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> Customer:
    now = now or timezone.now()
    _require("customers.add_customer", actor=actor)
    if Customer.objects.filter(account_no=account_no).exists():
        raise ValidationError({"account_no": _("This account number already exists.")})
    numbers = clean_phone_list(data.phones)
    building: Building = premises["building"]
    unit_no, room_no = premises.get("unit_no", ""), premises["room_no"]
    if Premises.objects.filter(building=building, unit_no=unit_no, room_no=room_no).exists():
        raise ValidationError({"room_no": _("These premises already belong to another customer.")})
    now = now
    customer = Customer.objects.create(
        account_no=account_no,
        name=data.name.strip(),
        customer_type=data.customer_type,
        special_care=data.special_care,
        notes=data.notes,
        created_by=actor,
        created_at=now,
        updated_by=actor,
        updated_at=now,
    )
    _set_phones(customer, numbers)
    Premises.objects.create(
        customer=customer,
        building=building,
        unit_no=unit_no,
        room_no=room_no,
        station=building.station,
        address_text=address_of(building, unit_no, room_no),
        heated_area=clean_area(premises["heated_area"]),
        status=premises.get("status", SupplyStatus.SUPPLIED),
        metered=bool(premises.get("meter_no")),
        meter_no=premises.get("meter_no", ""),
    )
    return customer


def _attribute_entry_errors(
    customer: Customer,
    fields: list[str],
    source_object: Model,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """Correcting a mistake counts an entry error against whoever last wrote the field."""

    now = now or timezone.now()
    content_type = ContentType.objects.get_for_model(source_object)
    for field in fields:
        last = (
            ChangeRecord.objects.filter(
                content_type=content_type, object_id=source_object.pk, field=field
            )
            .exclude(actor__isnull=True)
            .order_by("-at", "-id")
            .first()
        )
        clerk = last.actor if last else customer.created_by
        if clerk is None:
            continue
        EntryError.objects.create(
            clerk=clerk,
            customer=customer,
            field=field,
            kind=EntryError.Kind.WRONG_VALUE,
            noted_by=actor,
            note=_("Corrected while editing the customer record."),
        )


@transaction.atomic
def update_customer(
    customer_id: int,
    changes: dict[str, Any],
    source: str = "web",
    correcting_entry_error: bool = False,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> dict[str, tuple[str, str]]:
    """Apply changes to a customer; returns the recorded {field: (old, new)}."""
    now = now or timezone.now()
    _require("customers.change_customer", actor=actor)
    if correcting_entry_error:
        _require("customers.record_entry_error", actor=actor)
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    before = customer_snapshot(customer)
    numbers = None
    if "phones" in changes:
        numbers = clean_phone_list(changes["phones"])
    for field in CUSTOMER_FIELDS:
        if field in changes:
            setattr(customer, field, changes[field])
    if not customer.name.strip():
        raise ValidationError({"name": _("The name is required.")})
    customer.full_clean(exclude=["created_by", "updated_by", "account_no"], validate_unique=False)
    after = customer_snapshot(customer, numbers if numbers is not None else None)
    diff = diff_values(before, after)
    if not diff:
        return {}
    customer.updated_by = actor
    customer.updated_at = now
    customer.save()
    if numbers is not None:
        _set_phones(customer, numbers)
    if correcting_entry_error:
        _attribute_entry_errors(customer, list(diff), customer, actor=actor)
    record_changes(customer, diff, source, actor=actor)
    return diff


@transaction.atomic
def update_premises(
    premises_id: int,
    changes: dict[str, Any],
    source: str = "web",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> dict[str, tuple[str, str]]:
    now = now or timezone.now()
    _require("customers.change_customer", actor=actor)
    premises = (
        Premises.objects.select_for_update(of=("self",))
        .select_related("building")
        .get(pk=premises_id)
    )
    before = premises_snapshot(premises)
    if "heated_area" in changes:
        changes = {**changes, "heated_area": clean_area(changes["heated_area"])}
    for field in PREMISES_FIELDS:
        if field in changes:
            setattr(premises, field, changes[field])
    premises.metered = bool(premises.meter_no) or premises.metered
    premises.station = premises.building.station
    premises.address_text = address_of(premises.building, premises.unit_no, premises.room_no)
    after = premises_snapshot(premises)
    diff = diff_values(before, after)
    if not diff:
        return {}
    premises.full_clean(exclude=["customer", "station"])
    premises.save()
    record_changes(premises, diff, source, actor=actor)
    return diff


@transaction.atomic
def request_grade_change(
    customer_id: int, to_grade: str, reason: str, *, actor: Actor, now: datetime | None = None
) -> GradeChangeRequest:
    now = now or timezone.now()
    _require("customers.request_grade_change", actor=actor)
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if to_grade not in Grade.values:
        raise ValidationError({"to_grade": _("Unknown grade.")})
    if to_grade == customer.grade:
        raise ValidationError({"to_grade": _("The customer already has this grade.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the grade change.")})
    if customer.grade_requests.filter(status=GradeChangeRequest.Status.PENDING).exists():
        raise ValidationError(
            {"to_grade": _("A grade change for this customer is already waiting for approval.")}
        )
    return GradeChangeRequest.objects.create(
        customer=customer,
        from_grade=customer.grade,
        to_grade=to_grade,
        reason=reason.strip(),
        requested_by=actor,
    )


@transaction.atomic
def decide_grade_change(
    request_id: int, approve: bool, note: str = "", *, actor: Actor, now: datetime | None = None
) -> GradeChangeRequest:
    now = now or timezone.now()
    _require("customers.approve_grade_change", actor=actor)
    request = GradeChangeRequest.objects.select_for_update().get(pk=request_id)
    if request.status != GradeChangeRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    if request.requested_by_id == actor.pk:
        raise PermissionDenied(
            _("A grade change must be approved by someone other than the requester.")
        )
    request.status = (
        GradeChangeRequest.Status.APPROVED if approve else GradeChangeRequest.Status.REJECTED
    )
    request.decided_by = actor
    request.decided_at = now
    request.decision_note = note
    request.save()
    if approve:
        customer = Customer.objects.select_for_update().get(pk=request.customer_id)
        old = customer.grade
        customer.grade = request.to_grade
        customer.updated_by = actor
        customer.updated_at = request.decided_at
        customer.save(update_fields=["grade", "updated_by", "updated_at"])
        record_changes(customer, {"grade": (old, request.to_grade)}, "web", actor=actor)
    return request


@transaction.atomic
def record_entry_error(
    clerk: Actor,
    kind: str,
    customer_id: int | None = None,
    field: str = "",
    note: str = "",
    *,
    actor: Actor,
    now: datetime | None = None,
) -> EntryError:
    now = now or timezone.now()
    _require("customers.record_entry_error", actor=actor)
    if kind not in EntryError.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of entry error.")})
    return EntryError.objects.create(
        clerk=clerk, customer_id=customer_id, field=field, kind=kind, noted_by=actor, note=note
    )


def log_customer_view(
    customer_id: int, ip_address: str | None = None, *, actor: Actor, now: datetime | None = None
) -> None:
    now = now or timezone.now()
    record_access(actor, AccessLog.Action.VIEW, [customer_id], ip_address=ip_address)


def export_customers(
    filters: CustomerFilters,
    stream: IO[bytes],
    ip_address: str | None = None,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> int:
    """Write the filtered customers the actor may see to ``stream`` as .xlsx; logged with
    one access-log row per customer exported, written in batches (R-105)."""

    now = now or timezone.now()
    _require("customers.export_customers", actor=actor)
    exported: list[int] = []
    count = write_export(search_customers(actor, filters), stream, exported_ids=exported)
    detail = {"filters": filters.as_dict(), "rows": count}
    record_export(actor, exported, ip_address=ip_address, detail=detail)
    return count


def start_import(
    uploaded_file: "UploadedFile[bytes]",  # generic in the stubs only
    dry_run: bool,
    create_buildings: bool,
    *,
    actor: Actor,
    now: datetime | None = None,
) -> ImportJob:
    """Store an uploaded file as an import job and hand it to the background runner."""

    now = now or timezone.now()
    _require("customers.import_customers", actor=actor)
    name = uploaded_file.name or ""
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationError({"file": _("Only .xlsx and .csv files can be imported.")})
    size = cast(int, uploaded_file.size)  # Django sets the size of every uploaded file
    if size > settings.IMPORT_MAX_FILE_BYTES:
        raise ValidationError({"file": file_too_large(size, settings.IMPORT_MAX_FILE_BYTES)})
    job = ImportJob.objects.create(
        file=uploaded_file,
        original_name=name,
        dry_run=dry_run,
        create_buildings=create_buildings,
        created_by=actor,
    )
    transaction.on_commit(lambda: enqueue(run_import_job, job.pk))
    return job


def _lease(job_dry_run: bool, now: datetime) -> datetime:
    # A dry run is one transaction until its end: it cannot renew a lease others see.
    seconds = (
        settings.IMPORT_DRY_RUN_LEASE_SECONDS if job_dry_run else settings.IMPORT_LEASE_SECONDS
    )
    return now + timedelta(seconds=seconds)


def _claim_import_job(job_id: int | None = None) -> tuple[int, int] | None:
    """Take one job (the oldest, or ``job_id``) that is queued, or running with its lease
    run out (its worker died), and return (id, attempt); None when there is none or
    another worker holds it. The claim is a new attempt with a fresh lease: two workers
    never hold the same job, and a worker whose lease was taken over notices at its next
    checkpoint."""

    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), status=ImportJob.Status.RUNNING
    )
    with transaction.atomic():
        jobs = ImportJob.objects.filter(claimable)
        if job_id is not None:
            jobs = jobs.filter(pk=job_id)
        if connection.features.has_select_for_update_skip_locked:
            jobs = jobs.select_for_update(skip_locked=True)
        job = jobs.order_by("created_at", "pk").values("pk", "attempt", "dry_run").first()
        if job is None:
            return None
        attempt = job["attempt"] + 1
        claimed = ImportJob.objects.filter(claimable, pk=job["pk"], attempt=job["attempt"]).update(
            status=ImportJob.Status.RUNNING,
            started_at=Coalesce("started_at", Value(now)),
            attempt=attempt,
            lease_until=_lease(job["dry_run"], now),
        )
    return (job["pk"], attempt) if claimed else None


def run_import(job_id: int) -> None:
    """Process one import job (the Celery task). Safe to run twice, or again after its
    worker died: a job another worker holds is left alone, and one whose worker died
    goes on from its last committed chunk."""
    if claim := _claim_import_job(job_id):
        _process_import(*claim)


def run_next_import() -> bool:
    """Claim and process the oldest waiting (or abandoned) import job: the embedded
    server's worker process calls this (core.background.work). False when there is none."""
    claim = _claim_import_job()
    if claim is None:
        return False
    _process_import(*claim)
    return True


def _process_import(job_id: int, attempt: int) -> None:

    job = ImportJob.objects.select_related("created_by").defer("report").get(pk=job_id)
    mine = ImportJob.objects.filter(pk=job_id, attempt=attempt, status=ImportJob.Status.RUNNING)
    if attempt > settings.IMPORT_MAX_ATTEMPTS:
        message = _(
            "The import was started %(attempts)d times and its worker stopped each time, "
            "after %(rows)d rows. Importing the same file again is safe."
        ) % {"attempts": attempt - 1, "rows": job.processed_rows}
        state = job.checkpoint or {}
        mine.update(
            status=ImportJob.Status.FAILED,
            report={
                **state.get("report", {}),
                "file_errors": [message],
                "total_rows": job.total_rows,
                "not_processed_from_row": int(state.get("row", 1)) + 1,
            },
            lease_until=None,
            finished_at=timezone.now(),
        )
        return

    def keep_alive() -> None:
        if not mine.update(lease_until=_lease(job.dry_run, timezone.now())):
            raise ImportInterrupted

    def checkpoint(state: dict[str, Any]) -> None:
        # In the chunk's transaction, which keep_alive began by locking the job's row.
        if not mine.update(
            checkpoint=state,
            processed_rows=state["processed"],
            total_rows=state["total"],
            lease_until=_lease(job.dry_run, timezone.now()),
        ):
            raise ImportInterrupted

    def progress(done: int, total: int) -> None:
        mine.update(processed_rows=done, total_rows=total)

    try:
        report = import_customers(
            Path(job.file.path),
            job.created_by,
            dry_run=job.dry_run,
            create_buildings=job.create_buildings,
            progress=progress,
            chunk_size=settings.IMPORT_CHUNK_ROWS,
            resume=None if job.dry_run else job.checkpoint,
            checkpoint=checkpoint,
            keep_alive=keep_alive,
        )
    except ImportInterrupted:
        return  # another worker holds the job now
    except Exception as exc:
        # import_customers reports its own failures; this is the last resort (the
        # database gone, say), so the job does not stay "running" for ever.
        mine.update(
            status=ImportJob.Status.FAILED,
            report={"file_errors": [_("The import failed: %(error)s") % {"error": exc}]},
            lease_until=None,
            finished_at=timezone.now(),
        )
        raise
    mine.update(
        status=ImportJob.Status.FAILED if report.file_errors else ImportJob.Status.DONE,
        report=report.as_dict(),
        total_rows=report.total_rows,
        processed_rows=report.total_rows,
        lease_until=None,
        finished_at=timezone.now(),
    )


def resume_interrupted_imports(*, now: datetime | None = None) -> int:
    """Hand every running job whose lease ran out (its worker died) to the background
    runner again; it continues from its last committed chunk. The periodic job
    ``customers.resume_imports`` calls this; a re-delivered Celery message does the same."""

    now = now or timezone.now()
    stale = list(
        ImportJob.objects.filter(status=ImportJob.Status.RUNNING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )
    for job_id in stale:
        enqueue(run_import_job, job_id)
    return len(stale)


def release_interrupted_imports() -> int:
    """The embedded worker process, starting, takes back the jobs its previous run left
    running (the server was stopped mid-import): it is the only worker of its kind, so
    their leases are ended and it resumes them from their last committed chunk."""

    return ImportJob.objects.filter(status=ImportJob.Status.RUNNING).update(lease_until=None)


def purge_import_files(*, now: datetime | None = None) -> int:
    """Delete uploaded import files older than settings.IMPORT_FILE_RETENTION_DAYS (the
    job and its report stay). Idempotent; returns the number of files deleted."""

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    old = (
        ImportJob.objects.filter(
            created_at__lt=cutoff, status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED]
        )
        .exclude(file="")
        .only("pk", "file")
    )
    count = 0
    for job in old.iterator():
        job.file.storage.delete(cast(str, job.file.name))  # no error when it is already gone
        count += ImportJob.objects.filter(pk=job.pk).update(file="", file_deleted_at=now)
    return count
