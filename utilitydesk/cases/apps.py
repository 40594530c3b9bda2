from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _cases_panel_context(request, customer):
    from .selectors import cases_of_customer

    return {"rows": list(cases_of_customer(request.user, customer.pk)[:20])}


class CasesConfig(AppConfig):
    name = "utilitydesk.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from utilitydesk.customers.panels import Panel, register

        register(
            Panel(
                key="cases",
                title=_("Cases"),
                template="cases/panels/customer_cases.html",
                context=_cases_panel_context,
                order=10,
            )
        )
