from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfserviceConfig(AppConfig):
    name = "utilitydesk.selfservice"
    label = "selfservice"
    verbose_name = _("Customer self-service")
