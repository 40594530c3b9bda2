from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import LoginFailure


def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def is_locked_out(username: str, ip_address: str | None, now: datetime | None = None) -> bool:
    """Locked after LOGIN_MAX_FAILURES failures for this name, or 4× that from one address."""
    now = now or timezone.now()
    recent = LoginFailure.objects.filter(at__gte=_window_start(now))
    by_name = recent.filter(username__iexact=username).count()
    by_address = recent.filter(ip_address=ip_address).count() if ip_address else 0
    limit = settings.LOGIN_MAX_FAILURES
    return by_name >= limit or by_address >= limit * 4


def record_failure(username: str, ip_address: str | None, now: datetime | None = None) -> None:
    LoginFailure.objects.create(
        username=username[:150], ip_address=ip_address, at=now or timezone.now()
    )


def clear_failures(username: str, now: datetime | None = None) -> None:
    """A successful sign-in forgets this name's failures; old rows are pruned."""
    now = now or timezone.now()
    LoginFailure.objects.filter(
        Q(username__iexact=username) | Q(at__lt=now - timedelta(days=30))
    ).delete()
