from django.core.management.base import BaseCommand

from utilitydesk.kernel.options import moment_option

from ...services import access_log_retention_days, purge_access_log


class Command(BaseCommand):
    help = "Delete personal-data access-log rows older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Pretend it is this moment (ISO-8601, Asia/Shanghai).")

    def handle(self, *args, **options):
        now = moment_option(options.get("now"), "--now", "2027-06-01T03:00")
        deleted = purge_access_log(now=now)
        self.stdout.write(
            f"Deleted {deleted} access-log rows older than {access_log_retention_days()} days."
        )
