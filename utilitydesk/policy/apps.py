from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    """Service policy: versions, limit and escalation tables, the working-day calendar,
    pure deadline arithmetic, hotline hours. Its Django label stays ``sla`` so its tables,
    migrations and permission strings are unchanged (docs/decisions/0003)."""

    name = "utilitydesk.policy"
    label = "sla"
    verbose_name = _("Service policy")
