from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    """Major faults (R-306) and supply interruptions (R-801, R-807). Sits above cases: cases
    keeps the fault link (`Case.major_fault`, `Contact.major_fault`, a string reference) and
    never imports this app; what faults and interruptions add to the customer 360 page,
    intake and the case page, and how they react to new cases, is registered here."""

    name = "utilitydesk.outages"
    label = "outages"
    verbose_name = _("Major faults and interruptions")

    def ready(self) -> None:
        from utilitydesk.cases import hooks
        from utilitydesk.customers.panels import (
            Panel,
            register,
            register_lookup_note,
            register_premises_flag,
        )

        from . import interruption_reactions, sections, selectors

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
        # Supply interruptions: shown first on intake and the 360 page, the premises' history,
        # the case page's link; a call about one is linked (and held), and after restoration
        # a call from the scope flags it.
        register(
            Panel(
                key="interruptions_active",
                title=_("Supply interruptions"),
                template="outages/customer_interruption_banner.html",
                context=sections.interruption_banner_context,
                order=-1,
                position="top",
            )
        )
        register(
            Panel(
                key="interruption_history",
                title=_("Interruption history"),
                template="outages/customer_interruptions.html",
                context=sections.interruption_history_context,
                order=30,
            )
        )
        register_premises_flag("interruptions", sections.interruption_flags)
        register_lookup_note("interruptions", sections.interruption_lookup_notes)
        hooks.register_intake_section(
            hooks.IntakeSection(
                "interruptions",
                "outages/_intake_interruptions.html",
                sections.interruption_intake_section,
                0,
            )
        )
        hooks.register_intake_fields(interruption_reactions.intake_fields)
        hooks.register_hold_check(interruption_reactions.hold_check)
        hooks.react(hooks.CaseHook.CREATED, interruption_reactions.on_case_created)
        # A burst of no-supply calls from one place raises a suspected incident: counted by
        # the periodic job outages.detect_incidents, not in the intake (detection.py).
        hooks.register_section(
            hooks.Section(
                "interruptions",
                "outages/_case_interruptions.html",
                sections.interruption_case_section,
                4,
            )
        )
