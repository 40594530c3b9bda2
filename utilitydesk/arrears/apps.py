from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArrearsConfig(AppConfig):
    """The arrears path and stop / resume heat (R-803, R-805): reacts to new ledger entries
    (a payment settling a limited or stopped account orders restoration) and to resolved
    valve work orders (the premises' supply, heat stops, bills)."""

    name = "utilitydesk.arrears"
    label = "arrears"
    verbose_name = _("Arrears and stop / resume heat")

    def ready(self) -> None:
        from utilitydesk.billing import ledger
        from utilitydesk.cases import hooks

        from . import services

        ledger.react_to_entry_batches(services.on_ledger_batch)
        ledger.react_to_entries(services.on_ledger_entry)
        hooks.react(hooks.CaseHook.RESOLVED, services.on_work_order_resolved)
