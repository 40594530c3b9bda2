from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _customer_callbacks(request, customer):
    from django.db.models import Q

    from .models import CallbackTask

    if not request.user.has_perm("callbacks.view_callbacktask"):
        return {"hidden": True, "rows": []}
    rows = (
        CallbackTask.objects.filter(Q(customer=customer) | Q(case__customer=customer))
        .select_related("case", "called_by")
        .order_by("-due_at")[:20]
    )
    return {"rows": list(rows)}


class CallbacksConfig(AppConfig):
    name = "utilitydesk.callbacks"
    label = "callbacks"
    verbose_name = _("Callbacks and satisfaction")

    def ready(self) -> None:
        from utilitydesk.customers.panels import Panel, register

        register(
            Panel(
                key="callbacks",
                title=_("Callbacks"),
                template="callbacks/panel.html",
                context=_customer_callbacks,
                order=20,
            )
        )

        from utilitydesk.customers.panels import HistorySource, register_history_source

        from .contact_history import callback_entries

        register_history_source(HistorySource("callbacks", callback_entries))

        from utilitydesk.cases import hooks

        from . import case_reactions

        hooks.react(hooks.CaseHook.RESOLVED, case_reactions.on_case_resolved)
        from . import followup

        for hook in followup.FOLLOWED_HOOKS:  # after the callback task: the body names it
            hooks.react(hook, followup.on_case_step)
        hooks.register_section(
            hooks.Section(
                "callbacks", "callbacks/_case_section.html", case_reactions.case_section, 20
            )
        )
