from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _cases_panel_context(request, customer):
    from utilitydesk.sla.selectors import with_next_due

    from .selectors import cases_of_customer

    return {"rows": list(with_next_due(cases_of_customer(request.user, customer.pk))[:20])}


def _signature_access(user, name: str):
    from utilitydesk.privacy.files import FileAccess

    from .selectors import visible_cases

    case = visible_cases(user).filter(signature=name).values("customer_id", "number").first()
    if case is None:
        return None
    return FileAccess(customer_id=case["customer_id"], detail={"case": case["number"]})


class CasesConfig(AppConfig):
    name = "utilitydesk.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from utilitydesk.customers.panels import Panel, register
        from utilitydesk.privacy import files

        files.register("signatures", _signature_access)

        register(
            Panel(
                key="cases",
                title=_("Cases"),
                template="cases/panels/customer_cases.html",
                context=_cases_panel_context,
                order=10,
            )
        )

        from utilitydesk.customers.panels import (
            HistorySource,
            register_history_source,
            register_premises_flag,
        )

        from . import contact_history

        register(
            Panel(
                key="major_faults",
                title=_("Major faults"),
                template="cases/panels/customer_faults.html",
                context=contact_history.fault_banner_context,
                order=0,
                position="top",
            )
        )
        register_premises_flag("major_faults", contact_history.fault_flags)
        register_history_source(HistorySource("contacts", contact_history.contact_entries))
        register_history_source(HistorySource("cases", contact_history.case_entries))
        register_history_source(HistorySource("sms", contact_history.text_message_entries))
