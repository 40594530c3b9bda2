from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender, **kwargs):  # noqa: ARG001
    from .services import sync_role_groups

    sync_role_groups(using=kwargs.get("using", "default"))


class OrgConfig(AppConfig):
    name = "utilitydesk.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Groups and their permissions follow roles.py after every migrate.
        post_migrate.connect(_sync_roles, dispatch_uid="utilitydesk.org.sync_roles")
