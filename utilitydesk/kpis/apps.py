from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    """The KPIs (docs/kpis.md): read from the records of cases, callbacks, complaints and
    the rest, with daily counts of them kept for months and seasons."""

    name = "utilitydesk.kpis"
    label = "kpis"
    verbose_name = _("Service rates")
