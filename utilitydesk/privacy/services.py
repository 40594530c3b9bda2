from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from utilitydesk.audit.models import AccessLog

# PIPL and R-105: the access log is kept at least six months, whatever the setting says.
MINIMUM_RETENTION_DAYS = 183


def access_log_retention_days() -> int:
    return max(MINIMUM_RETENTION_DAYS, settings.ACCESS_LOG_RETENTION_DAYS)


def purge_access_log(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Deletes access-log rows older than the retention period, in batches; safe to run
    twice or from two workers at once (a second run finds nothing left)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=access_log_retention_days())
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                AccessLog.objects.filter(at__lt=cutoff)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return deleted
            deleted += AccessLog.objects.filter(id__in=ids).delete()[0]
