from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "utilitydesk.privacy"
    label = "privacy"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        from utilitydesk.kernel import scheduler

        from .services import purge_access_log

        scheduler.register(
            scheduler.PeriodicJob("privacy.purge_access_log", 86400, purge_access_log)
        )
