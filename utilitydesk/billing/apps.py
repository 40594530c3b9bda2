from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Heating fees (R-802 – R-807): tariffs, season bills, the ledger. Sits above the apps
    that react to cases: it reads the fee reductions of supply interruptions (outages) and
    the approved refunds of indoor temperature (temperature) when it bills."""

    name = "utilitydesk.billing"
    label = "billing"
    verbose_name = _("Heating fees")
