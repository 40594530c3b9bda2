from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """The reports the regulations name (docs/reports.md): weekly, monthly supervision,
    monthly callback, quarterly consultation and the monthly assessment, generated on
    schedule or on demand and stored."""

    name = "utilitydesk.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from utilitydesk.privacy import files

        from .models import FOLDER
        from .selectors import file_access

        # /media/reports/… opens only for the report's readers.
        files.register(FOLDER, file_access)
