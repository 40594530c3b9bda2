from celery import shared_task


@shared_task(name="customers.run_import_job")
def run_import_job(job_id: int) -> None:
    from .services import run_import

    run_import(job_id)


@shared_task(name="customers.purge_import_files")
def purge_import_files() -> int:
    from .services import purge_import_files as purge

    return purge()


@shared_task(name="customers.resume_imports")
def resume_imports() -> int:
    from .services import resume_interrupted_imports

    return resume_interrupted_imports()
