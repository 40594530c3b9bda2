from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _access_log_context(request, customer):
    from utilitydesk.audit.selectors import access_log_for_customer

    if not request.user.has_perm("audit.view_accesslog"):
        return {"hidden": True, "rows": []}
    return {"rows": list(access_log_for_customer(customer.pk)[:20])}


def _import_file_access(user, name: str):
    """An import file holds many customers: only people who may import open it."""
    from utilitydesk.privacy.files import FileAccess

    from .models import ImportJob

    if not user.has_perm("customers.import_customers"):
        return None
    job = ImportJob.objects.filter(file=name).values("pk").first()
    if job is None:
        return None
    return FileAccess(inline=False, detail={"import_job": job["pk"]})


class CustomersConfig(AppConfig):
    name = "utilitydesk.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from utilitydesk.privacy import files

        from .panels import Panel, register

        files.register("imports", _import_file_access)

        from utilitydesk.area import hooks as network_hooks

        from .network import follow_network

        # A network import that moves buildings moves their premises' heating station.
        network_hooks.on_buildings_moved(follow_network)

        register(
            Panel(
                key="access_log",
                title=_("Who looked at this record"),
                template="customers/panels/access_log.html",
                context=_access_log_context,
                order=900,
            )
        )

        from utilitydesk.kernel import background

        from .services import release_interrupted_imports, run_next_import

        background.register_queue(
            background.WorkQueue(
                "customers.run_import_job", run_next_import, recover=release_interrupted_imports
            )
        )
