from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WeChatConfig(AppConfig):
    """The official account's server endpoint, its followers and the messages agents answer
    (docs/wechat.md)."""

    name = "utilitydesk.wechat"
    label = "wechat"
    verbose_name = _("WeChat official account")
