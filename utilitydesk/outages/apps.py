from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    """Major faults (R-306). Sits above cases: cases keeps the link (`Case.major_fault`,
    `Contact.major_fault`, a string reference) and never imports this app; what faults add
    to the customer 360 page, intake and the case page is registered here."""

    name = "utilitydesk.outages"
    label = "outages"
    verbose_name = _("Major faults")

    def ready(self) -> None:
        from utilitydesk.cases import hooks
        from utilitydesk.customers.panels import Panel, register, register_premises_flag

        from . import sections, selectors

        register(
            Panel(
                key="major_faults",
                title=_("Major faults"),
                template="outages/customer_banner.html",
                context=sections.fault_banner_context,
                order=0,
                position="top",
            )
        )
        register_premises_flag("major_faults", sections.fault_flags)
        hooks.register_intake_section(
            hooks.IntakeSection(
                "major_faults", "outages/_intake_section.html", sections.intake_section, 10
            )
        )
        hooks.register_fault_lookup(selectors.open_fault)
        hooks.register_section(
            hooks.Section("major_faults", "outages/_case_section.html", sections.case_section, 5)
        )
