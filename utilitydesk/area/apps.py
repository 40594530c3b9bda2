from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreaConfig(AppConfig):
    name = "utilitydesk.area"
    label = "area"
    verbose_name = _("Service area")
