from celery import shared_task


@shared_task(name="sla.sweep")
def sweep_task() -> dict:
    from .sweeper import sweep

    return sweep()


def run_sweep_now() -> dict:
    """The embedded server's periodic job: the same function Celery beat runs."""
    from .sweeper import sweep

    return sweep()
