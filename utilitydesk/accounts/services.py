"""Signing in: one lockout for every way in (web, admin, API token), and API tokens."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import tokens
from .models import ApiToken, KnownAddress, LoginFailure
from .typing import Actor

# Failed sign-ins older than this are pruned: long past any lockout window, kept a while
# for the administrator who asks why someone could not sign in.
FAILURE_RETENTION = timedelta(days=30)
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Lockout:
    until: datetime

    def retry_after_seconds(self, now: datetime | None = None) -> int:
        return max(1, math.ceil((self.until - (now or timezone.now())).total_seconds()))

    def minutes(self, now: datetime | None = None) -> int:
        return math.ceil(self.retry_after_seconds(now) / 60)


class SignInLocked(Exception):
    def __init__(self, lockout: Lockout):
        super().__init__(f"locked until {lockout.until.isoformat()}")
        self.lockout = lockout


def normalize_username(username: str) -> str:
    return username.strip().lower()[:150]


def _locked_until(
    failures: QuerySet[LoginFailure], limit: int, already_counted: int
) -> datetime | None:
    """Locked while `limit` failures (besides the attempts being counted) lie in the window:
    the lock lifts when the limit-th most recent of them leaves the window."""
    if limit < 1:
        return None
    index = limit - 1 + already_counted
    oldest = list(failures.order_by("-at").values_list("at", flat=True)[index : index + 1])
    if not oldest:
        return None
    return oldest[0] + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lockout_for(
    username: str, ip_address: str | None, *, now: datetime | None = None, pending: int = 0
) -> Lockout | None:
    """Three counters in the window of LOGIN_LOCKOUT_MINUTES:
    - this name from this address: LOGIN_MAX_FAILURES;
    - this name from anywhere: LOGIN_MAX_FAILURES_PER_NAME, except from an address the
      name signed in from lately (a colleague guessing elsewhere cannot lock you out);
    - this address for any names: LOGIN_MAX_FAILURES_PER_ADDRESS, except for names that
      signed in from it lately (one person behind the hotline's NAT cannot lock out the rest).
    `pending` attempts already recorded as failures are not counted against themselves."""
    now = now or timezone.now()
    name = normalize_username(username)
    recent = LoginFailure.objects.filter(
        at__gte=now - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    )
    known = (
        ip_address is not None
        and KnownAddress.objects.filter(
            username=name,
            ip_address=ip_address,
            last_sign_in_at__gte=now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS),
        ).exists()
    )
    candidates = [
        _locked_until(
            recent.filter(username=name, ip_address=ip_address),
            settings.LOGIN_MAX_FAILURES,
            pending,
        )
    ]
    if not known:
        candidates.append(
            _locked_until(
                recent.filter(username=name), settings.LOGIN_MAX_FAILURES_PER_NAME, pending
            )
        )
        if ip_address is not None:
            candidates.append(
                _locked_until(
                    recent.filter(ip_address=ip_address),
                    settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
                    pending,
                )
            )
    until = max((c for c in candidates if c is not None and c > now), default=None)
    return Lockout(until) if until else None


def begin_sign_in(username: str, ip_address: str | None, *, now: datetime | None = None) -> int:
    """Record the attempt as a failure before the password is checked, so that parallel
    guesses see each other; raise SignInLocked (and forget the attempt) when locked."""
    now = now or timezone.now()
    attempt = LoginFailure.objects.create(
        username=normalize_username(username), ip_address=ip_address, at=now
    )
    lockout = lockout_for(username, ip_address, now=now, pending=1)
    if lockout is not None:
        LoginFailure.objects.filter(pk=attempt.pk).delete()
        raise SignInLocked(lockout)
    return attempt.pk


@transaction.atomic
def finish_sign_in(
    username: str, ip_address: str | None, succeeded: bool, *, now: datetime | None = None
) -> None:
    """A failure stays recorded. A success forgets this name's failures from this address
    (not those from elsewhere) and remembers the address as one the name signs in from."""
    if not succeeded:
        return
    now = now or timezone.now()
    name = normalize_username(username)
    LoginFailure.objects.filter(
        Q(username=name, ip_address=ip_address) | Q(at__lt=now - FAILURE_RETENTION)
    ).delete()
    if ip_address is None:
        return
    KnownAddress.objects.filter(
        last_sign_in_at__lt=now - timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    ).delete()
    KnownAddress.objects.update_or_create(
        username=name, ip_address=ip_address, defaults={"last_sign_in_at": now}
    )


# --- API tokens --------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    key: str  # shown once; only its hash is stored
    token: ApiToken


@transaction.atomic
def issue_token(
    user: Actor, *, ip_address: str | None = None, now: datetime | None = None
) -> IssuedToken:
    """A new token for `user`, valid API_TOKEN_TTL_HOURS. Dead tokens of the user are
    removed, and the oldest live ones beyond API_TOKENS_PER_USER are revoked."""
    now = now or timezone.now()
    fingerprint = tokens.owner_fingerprint(user)
    ApiToken.objects.filter(user=user).filter(
        Q(expires_at__lte=now) | ~Q(fingerprint=fingerprint)
    ).delete()
    key = tokens.new_key()
    token = ApiToken.objects.create(
        user=user,
        key_hash=tokens.hash_key(key),
        prefix=key[:8],
        fingerprint=fingerprint,
        created_at=now,
        expires_at=now + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
        created_from=ip_address,
    )
    keep = max(1, settings.API_TOKENS_PER_USER)
    surplus = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")[keep:]
    ApiToken.objects.filter(pk__in=list(surplus.values_list("pk", flat=True))).delete()
    return IssuedToken(key=key, token=token)


def authenticate_token(key: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token for `key` if it is still good: not expired, owner active, and the owner's
    password and active flag unchanged since it was issued."""
    now = now or timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=tokens.hash_key(key)).first()
    if (
        token is None
        or token.expires_at <= now
        or not token.user.is_active
        or token.fingerprint != tokens.owner_fingerprint(token.user)
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(user: Actor, token_id: int) -> bool:
    """A user revokes one of their own tokens; someone else's id revokes nothing."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def revoke_all_tokens(user: Actor) -> int:
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def change_password(form: PasswordChangeForm) -> None:
    """Save a PasswordChangeForm: the new password, and every API token of the user revoked
    (the fingerprint already refuses them; this also clears them from the user's list)."""
    user = form.save()
    revoke_all_tokens(user)
