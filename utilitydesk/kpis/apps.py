from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """The service rates (docs/rates.md): read from the records of cases, callbacks and
    complaints; no tables of its own."""

    name = "utilitydesk.kpis"
    label = "kpis"
    verbose_name = _("Service rates")
