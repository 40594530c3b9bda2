from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _cases_panel_context(request, customer):
    from .selectors import cases_of_customer

    return {"rows": list(cases_of_customer(request.user, customer.pk)[:20])}


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
