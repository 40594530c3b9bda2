from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TemperatureConfig(AppConfig):
    """Indoor temperature (R-701 – R-707): measurement requests run as cases of the kind
    "temperature"; this app adds what `cases` does not know: the booking window, the
    measurement record that resolves the case, the adjustment work a failed home opens, the
    re-measurement after it, monitoring points and refunds. Its reactions and checks are
    registered here."""

    name = "utilitydesk.temperature"
    label = "temperature"
    verbose_name = _("Indoor temperature")

    def ready(self) -> None:
        from utilitydesk.privacy import files

        from . import point_views, reactions, record_selectors, views

        reactions.register()
        point_views.register_monitoring()  # due monitoring points on /field/
        # The record's signature and photos open only for those who may open the record.
        files.register(record_selectors.SIGNATURE_FOLDER, views.signature_access)
        files.register(record_selectors.PHOTO_FOLDER, views.photo_access)
