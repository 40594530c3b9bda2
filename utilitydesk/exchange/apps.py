from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """The city's 12345 government hotline (docs/exchange-12345.md): orders it transfers
    become cases through the cases intake; signing, returns, extension requests and results
    go back as outbound messages with a state, sent with retries; urges and the platform's
    verdicts come in. Sits beside the apps that react to cases."""

    name = "utilitydesk.exchange"
    label = "exchange"
    verbose_name = _("12345 exchange")

    def ready(self) -> None:
        from utilitydesk.cases import hooks

        from . import sections, services

        # A resolved case answers the 12345 orders it carries (the result is pushed).
        hooks.react(hooks.CaseHook.RESOLVED, services.on_case_resolved)
        hooks.register_section(
            hooks.Section("exchange", "exchange/_case_section.html", sections.case_section, 30)
        )
