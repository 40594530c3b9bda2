from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _cases_panel_context(request, customer):
    from .deadline_selectors import with_next_due
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

        # Routing is cached per process while its data version stays (routing.py).
        from django.db.models.signals import post_delete, post_save

        from utilitydesk.org.models import OrgUnit

        from .models import RoutingRule
        from .routing import routing_changed

        for model in (RoutingRule, OrgUnit):
            post_save.connect(routing_changed, sender=model, dispatch_uid=f"routing-{model}")
            post_delete.connect(routing_changed, sender=model, dispatch_uid=f"routing-d-{model}")

        # Case deadlines: the sweeper, and what the policy app asks of cases.
        from utilitydesk.policy import labels as policy_labels
        from utilitydesk.policy import services as policy

        from . import deadlines
        from .models import Kind

        policy.on_calendar_loaded(deadlines.recompute_provisional)
        policy.register_years_in_use(deadlines.provisional_years)
        policy_labels.register_kind_labels(Kind.choices)

        register(
            Panel(
                key="cases",
                title=_("Cases"),
                template="cases/panels/customer_cases.html",
                context=_cases_panel_context,
                order=10,
            )
        )

        from utilitydesk.customers.panels import HistorySource, register_history_source

        from . import contact_history

        register_history_source(HistorySource("contacts", contact_history.contact_entries))
        register_history_source(HistorySource("cases", contact_history.case_entries))
        register_history_source(HistorySource("sms", contact_history.text_message_entries))
