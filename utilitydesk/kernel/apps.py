from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KernelConfig(AppConfig):
    """What every app may use and that knows nothing of them: errors, bulk loading,
    background work, periodic jobs, text cleaning, spreadsheets, command options."""

    name = "utilitydesk.kernel"
    label = "kernel"
    verbose_name = _("Kernel")

    def ready(self) -> None:
        from . import versions  # noqa: F401  (connects the per-request version memo)
