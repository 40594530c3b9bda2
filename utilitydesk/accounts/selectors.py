from datetime import datetime

from django.utils import timezone

from . import tokens
from .models import ApiToken


def live_tokens(user, now: datetime | None = None):
    """The user's tokens that still work, newest first."""
    now = now or timezone.now()
    return ApiToken.objects.filter(
        user=user, expires_at__gt=now, fingerprint=tokens.owner_fingerprint(user)
    ).order_by("-created_at", "-pk")
