from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Payments and reconciliation (issue 15, items 3 and 4; docs/billing.md): counter
    payments with a receipt, bank withholding / collection files, online notifications,
    reversals and refunds as their own entries, the three-way reconciliation. Sits above
    billing: every amount reaches an account through ``billing.ledger``."""

    name = "utilitydesk.payments"
    label = "payments"
    verbose_name = _("Payments")
