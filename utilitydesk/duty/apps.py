from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutyConfig(AppConfig):
    """Duty and handover (R-1001, R-1002, docs/duty.md): the roster, the duty log and the
    handover between shifts."""

    name = "utilitydesk.duty"
    label = "duty"
    verbose_name = _("Duty and handover")
