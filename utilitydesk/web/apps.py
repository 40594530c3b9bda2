from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "utilitydesk.web"
    label = "web"
    verbose_name = _("Web shell")

    def ready(self) -> None:
        from django.contrib import admin

        # Django's own greeting reads "管理员系统" in Chinese; name the product instead.
        admin.site.site_header = _("UtilityDesk administration")
        admin.site.site_title = _("UtilityDesk administration")
        admin.site.index_title = _("Reference data and records")
