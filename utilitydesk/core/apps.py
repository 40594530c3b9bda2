from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "utilitydesk.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib import admin

        # Django's own greeting reads "管理员系统" in Chinese; name the product instead.
        admin.site.site_header = _("UtilityDesk administration")
        admin.site.site_title = _("UtilityDesk administration")
        admin.site.index_title = _("Reference data and records")
