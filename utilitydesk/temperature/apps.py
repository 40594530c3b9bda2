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
        from . import reactions

        reactions.register()
