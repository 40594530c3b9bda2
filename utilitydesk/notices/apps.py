from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    """Customer notices as agents see them: the failed-delivery list, and the forbidden-
    phrase check (knowledge) wired into the notice templates of notifications."""

    name = "utilitydesk.notices"
    label = "notices"
    verbose_name = _("Customer notices")

    def ready(self) -> None:
        from utilitydesk.knowledge.services import check_customer_text
        from utilitydesk.notifications.checks import register_text_check

        def forbidden_phrases(text: str) -> None:
            check_customer_text(text, field="text")

        register_text_check("knowledge.forbidden_phrases", forbidden_phrases)
