from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "utilitydesk.sla"
    label = "sla"
    verbose_name = _("Deadlines and escalation")

    def ready(self) -> None:
        from utilitydesk.kernel import scheduler

        from .tasks import run_sweep_now

        scheduler.register(scheduler.PeriodicJob("sla.sweep", 60, run_sweep_now))
