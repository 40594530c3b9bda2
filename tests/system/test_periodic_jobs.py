"""One table of periodic jobs feeds Celery beat and the embedded scheduler of `make run`."""

import pytest
from django.conf import settings

from utilitydesk.kernel import scheduler


def test_beat_and_the_embedded_scheduler_run_the_same_jobs():
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    embedded = {job.name: job.every_seconds for job in scheduler.jobs()}
    assert set(beat) == set(embedded) == set(settings.PERIODIC_JOBS)
    assert {name: int(every) for name, every in beat.items()} == embedded


@pytest.mark.django_db  # importing every tasks module may read settings rows (app loading order)
def test_every_periodic_job_is_a_registered_task():
    from utilitydesk.celery import app

    app.loader.import_default_modules()
    assert set(settings.PERIODIC_JOBS) <= set(app.tasks)


@pytest.mark.django_db
def test_the_embedded_scheduler_runs_a_job_in_process(org):
    sweep = next(job for job in scheduler.jobs() if job.name == "sla.sweep")
    summary = sweep.run()
    assert summary["checked"] == 0 and summary["escalations"] == 0
