from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from . import tokens
from .models import ApiToken
from .typing import Actor


def live_tokens(user: Actor, now: datetime | None = None) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        user=user, expires_at__gt=now, fingerprint=tokens.owner_fingerprint(user)
    ).order_by("-created_at", "-pk")
