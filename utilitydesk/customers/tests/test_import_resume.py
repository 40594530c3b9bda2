"""Import jobs whose worker dies resume from their last committed chunk; a job held by a
live worker is not taken by another (docs/import.md, "When a worker dies")."""

import csv
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from utilitydesk.area.models import Building, Community, District
from utilitydesk.audit.models import ChangeRecord
from utilitydesk.customers import importing, services
from utilitydesk.customers.models import Customer, CustomerPhone, ImportJob, Premises

HEADER = ["户号", "姓名", "电话", "区", "小区", "楼", "单元", "室", "供热面积", "换热站"]


def rows() -> list[list[str]]:
    """60 rows (six chunks of ten): new buildings, bad rows, and an account and a
    premises met again after the chunk where the worker dies."""
    out = []
    for i in range(60):
        out.append(
            [
                f"R{i:03d}",
                f"客户{i}",
                f"138{i:08d}",
                "续导区",
                "续导小区",
                f"{i // 12 + 1}号楼",
                "1",
                f"{i % 12 + 101}",
                f"{60 + i}.5",
                "",
            ]
        )
    out[5][2] = "12345"  # a bad phone (chunk 1)
    out[14][9] = "不存在的站"  # unknown substation for a new building (chunk 2)
    out[14][5] = "99号楼"
    out[45][0] = "R003"  # the account of row 5 again (chunk 5)
    out[52][0], out[52][5], out[52][7] = "R900", "1号楼", "102"  # row 3's premises again
    return out


def write_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows())
    return path


def new_job(tmp_path: Path, actor) -> ImportJob:
    return ImportJob.objects.create(
        file=ContentFile(write_file(tmp_path / "c.csv").read_bytes(), name="c.csv"),
        original_name="c.csv",
        create_buildings=True,
        created_by=actor,
    )


def outcome() -> dict:
    """What the import left in the database, by natural keys."""
    customers = {}
    for customer in Customer.objects.prefetch_related("phones", "premises"):
        customers[customer.account_no] = (
            customer.name,
            tuple(p.number for p in sorted(customer.phones.all(), key=lambda p: p.position)),
            tuple(sorted((p.address_text, str(p.heated_area)) for p in customer.premises.all())),
        )
    buildings = sorted(
        Building.objects.filter(community__name="续导小区").values_list("name", flat=True)
    )
    return {
        "customers": customers,
        "phones": CustomerPhone.objects.count(),
        "premises": Premises.objects.count(),
        "buildings": buildings,
    }


class WorkerKilled(BaseException):
    """The worker process ending mid-chunk (nothing in the process catches it)."""


@pytest.fixture
def small_chunks(settings):
    settings.IMPORT_CHUNK_ROWS = 10
    settings.BACKGROUND_MODE = "sync"


@pytest.mark.django_db
def test_a_job_whose_worker_died_resumes_and_ends_as_an_uninterrupted_import(
    people, tmp_path, small_chunks, monkeypatch
):
    reference_job = new_job(tmp_path, people["office"])
    services.run_import(reference_job.pk)
    reference_job.refresh_from_db()
    expected = outcome()
    assert reference_job.status == "done" and len(expected["customers"]) == 56
    # Start again from an empty customer table.
    CustomerPhone.objects.all().delete()
    Premises.objects.all().delete()
    Customer.objects.all().delete()
    ChangeRecord.objects.all().delete()
    Building.objects.filter(community__name="续导小区").delete()
    Community.objects.filter(name="续导小区").delete()
    District.objects.filter(name="续导区").delete()

    real = importing._write_chunk
    calls = []

    def dies_in_the_fourth_chunk(*args, **kwargs):
        calls.append(1)
        real(*args, **kwargs)
        if len(calls) == 4:
            raise WorkerKilled  # written, then lost with its transaction

    monkeypatch.setattr(importing, "_write_chunk", dies_in_the_fourth_chunk)
    job = new_job(tmp_path, people["office"])
    with pytest.raises(WorkerKilled):
        services.run_import(job.pk)
    monkeypatch.setattr(importing, "_write_chunk", real)
    job.refresh_from_db()
    assert job.status == "running" and job.processed_rows == 30 and job.attempt == 1
    assert Customer.objects.count() == 28  # three chunks: 30 rows, two rejected

    # While its lease runs, nobody takes the job: a re-delivered message does nothing.
    services.run_import(job.pk)
    assert services.resume_interrupted_imports() == 0
    job.refresh_from_db()
    assert job.attempt == 1 and job.processed_rows == 30

    # The lease runs out: the periodic job hands it on; it continues from row 32.
    ImportJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.resume_interrupted_imports() == 1
    job.refresh_from_db()
    assert job.status == "done" and job.attempt == 2
    assert outcome() == expected
    assert job.report == reference_job.report
    reasons = {(e["row"], e["column"]): e["reason"] for e in job.report["rejected"]}
    assert set(reasons) == {(7, "phones"), (16, "substation"), (47, "account_no"), (54, "room")}
    assert "5" in reasons[(47, "account_no")] and "3" in reasons[(54, "room")]


@pytest.mark.django_db
def test_the_embedded_worker_resumes_the_job_its_previous_run_left(
    people, tmp_path, small_chunks, monkeypatch
):
    job = new_job(tmp_path, people["office"])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        attempt=1,
        lease_until=timezone.now() + timedelta(minutes=5),
    )
    assert services.run_next_import() is False  # still leased
    assert services.release_interrupted_imports() == 1  # the worker process starts again
    assert services.run_next_import() is True
    job.refresh_from_db()
    assert job.status == "done" and job.report["created"] == 56


@pytest.mark.django_db
def test_a_job_whose_worker_keeps_dying_fails_after_the_last_attempt(
    people, tmp_path, small_chunks, settings
):
    settings.IMPORT_MAX_ATTEMPTS = 2
    job = new_job(tmp_path, people["office"])
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, attempt=2, processed_rows=20, lease_until=None
    )
    services.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "20" in job.report["file_errors"][0]
    assert Customer.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers: PostgreSQL")
def test_a_job_held_by_a_live_worker_is_not_taken_by_a_second_worker(
    people, tmp_path, small_chunks, settings, monkeypatch
):
    job = new_job(tmp_path, people["office"])
    between_chunks, in_a_chunk, go_on = threading.Event(), threading.Event(), threading.Event()
    real_clean, real_write = importing.clean_row, importing._write_chunk

    def clean_row(number, values):
        if number == 22:  # first row of chunk 3, outside any transaction
            between_chunks.set()
            go_on.wait(30)
            go_on.clear()
        return real_clean(number, values)

    def write_chunk(chunk, *args, **kwargs):
        real_write(chunk, *args, **kwargs)
        if chunk and chunk[0]["row"] == 22:  # inside chunk 3's transaction
            in_a_chunk.set()
            go_on.wait(30)

    monkeypatch.setattr(importing, "clean_row", clean_row)
    monkeypatch.setattr(importing, "_write_chunk", write_chunk)
    errors = []

    def first_worker():
        try:
            services.run_import(job.pk)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert between_chunks.wait(30)
        services.run_import(job.pk)  # the lease is live: nothing happens
        assert ImportJob.objects.get(pk=job.pk).attempt == 1
        # The first worker is slow: its lease runs out before its next chunk, which then
        # renews it; while that chunk's transaction holds the job's row, a second worker
        # cannot take the job although the committed lease has passed.
        ImportJob.objects.filter(pk=job.pk).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
        go_on.set()
        assert in_a_chunk.wait(30)
        services.run_import(job.pk)
        assert services.run_next_import() is False
        assert ImportJob.objects.get(pk=job.pk).attempt == 1
    finally:
        go_on.set()
        worker.join(60)
    assert not errors
    job.refresh_from_db()
    assert job.status == "done" and job.attempt == 1 and job.report["created"] == 56
    assert Customer.objects.count() == 56
