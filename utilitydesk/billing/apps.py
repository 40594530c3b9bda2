from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    """Heating fees (R-802 – R-807): tariffs, season bills, the ledger. Sits above the apps
    that react to cases: it reads the fee reductions of supply interruptions (outages) and
    the approved refunds of indoor temperature (temperature) when it bills."""

    name = "utilitydesk.billing"
    label = "billing"
    verbose_name = _("Heating fees")

    def ready(self) -> None:
        from utilitydesk.cases import hooks
        from utilitydesk.customers.panels import Panel, register, register_lookup_note

        from . import sections

        # The balance on the 360 page, in the screen-pop box and on intake; the fee
        # complaint's bill, tariff, area and corrections on the case page.
        register(
            Panel(
                key="billing",
                title=_("Heating fee"),
                template="billing/customer_panel.html",
                context=sections.panel_context,
                order=20,
            )
        )
        register_lookup_note("billing", sections.lookup_notes)
        hooks.register_intake_section(
            hooks.IntakeSection(
                "billing", "billing/_intake_section.html", sections.intake_section, 20
            )
        )
        hooks.register_section(
            hooks.Section("billing", "billing/_case_section.html", sections.case_section, 7)
        )
