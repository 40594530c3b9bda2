from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _access_log_context(request, customer):
    from utilitydesk.audit.selectors import access_log_for_customer

    if not request.user.has_perm("audit.view_accesslog"):
        return {"hidden": True, "rows": []}
    return {"rows": list(access_log_for_customer(customer.pk)[:20])}


class CustomersConfig(AppConfig):
    name = "utilitydesk.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from .panels import Panel, register

        register(
            Panel(
                key="access_log",
                title=_("Who looked at this record"),
                template="customers/panels/access_log.html",
                context=_access_log_context,
                order=900,
            )
        )
