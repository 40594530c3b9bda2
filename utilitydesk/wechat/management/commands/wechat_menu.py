import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from utilitydesk.notifications.wechat import WeChatError
from utilitydesk.wechat import services


class Command(BaseCommand):
    help = (
        "Build the official account's menu (links to the customer pages under /my/) and "
        "create it through the WeChat API; --dry-run prints it only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--site-url", help="the site's public https address (default: WECHAT_SITE_URL)"
        )
        parser.add_argument("--dry-run", action="store_true", help="print the menu, send nothing")

    def handle(self, *args, **options):
        site_url = options["site_url"] or settings.WECHAT.get("SITE_URL", "")
        if not site_url.startswith(("https://", "http://")):
            raise CommandError("give --site-url or WECHAT_SITE_URL (https://…)")
        if options["dry_run"]:
            built = services.menu(site_url)
        else:
            try:
                built = services.publish_menu(site_url)
            except WeChatError as error:
                raise CommandError(f"WeChat refused the menu: {error}") from error
        self.stdout.write(json.dumps(built, ensure_ascii=False, indent=2))
