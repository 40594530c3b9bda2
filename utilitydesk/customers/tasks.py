from celery import shared_task


@shared_task(name="customers.run_import_job")
def run_import_job(job_id: int) -> None:
    from .services import run_import

    run_import(job_id)


def purge_import_files_now() -> int:
    from .services import purge_import_files

    return purge_import_files()


@shared_task(name="customers.purge_import_files")
def purge_import_files() -> int:
    return purge_import_files_now()
