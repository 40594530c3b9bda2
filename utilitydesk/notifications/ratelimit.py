"""A token bucket per provider in the database (table notifications_ratebucket): every
worker process and thread shares it, so the provider sees at most ``rate`` messages a
second however many delivery runs there are.

A run asks for the tokens of one request (up to 200 numbers) and is told how long to wait
before sending: the bucket may go into debt, each taker queuing behind the others (fair
under contention, one locked row update per request). A wait longer than ``max_wait``
takes nothing: the caller gives its messages back for later."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from .models import RateBucket


def _now() -> datetime:
    return timezone.now()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass(frozen=True)
class Grant:
    granted: bool
    wait: float  # seconds to wait before sending (granted) or before trying again


def take(provider: str, count: int, *, rate: float, max_wait: float = 5.0) -> Grant:
    """Reserve ``count`` messages of ``provider``'s ``rate`` (messages per second; ≤ 0:
    no limit). The bucket holds at most one second of tokens."""
    if rate <= 0 or count <= 0:
        return Grant(True, 0.0)
    now = _now()
    burst = max(rate, 1.0)
    RateBucket.objects.get_or_create(
        provider=provider, defaults={"tokens": burst, "updated_at": now}
    )
    with transaction.atomic():
        bucket = RateBucket.objects.select_for_update().get(provider=provider)
        elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
        tokens = min(burst, bucket.tokens + elapsed * rate)
        after = tokens - count
        wait = max(0.0, -after / rate)
        if wait > max_wait:
            return Grant(False, (count - tokens) / rate)
        bucket.tokens, bucket.updated_at = after, max(now, bucket.updated_at)
        bucket.save(update_fields=["tokens", "updated_at"])
    return Grant(True, wait)


def wait_for(grant: Grant) -> None:
    if grant.granted and grant.wait > 0:
        _sleep(grant.wait)
