from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "utilitydesk.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from utilitydesk.cases import hooks

        from . import case_reactions

        hooks.react(hooks.CaseHook.CREATED, case_reactions.on_case_created)
        hooks.register_intake_fields(case_reactions.intake_fields)
        hooks.register_section(
            hooks.Section("complaint", "cases/_complaint.html", case_reactions.case_section, 10)
        )
