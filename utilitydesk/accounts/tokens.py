"""The key material of API tokens: what is handed out, what is stored, what binds a token
to the state of its owner."""

import hashlib
import secrets

from django.utils.crypto import salted_hmac


def new_key() -> str:
    return secrets.token_hex(20)


def hash_key(key: str) -> str:
    # Keys are 160 random bits: a fast hash is enough, a slow one would only cost every request.
    return hashlib.sha256(key.encode()).hexdigest()


def owner_fingerprint(user) -> str:
    """Changes whenever the password hash or the active flag changes, by whatever path
    (password page, admin, management command): tokens issued before no longer match."""
    value = f"{user.pk}:{user.password}:{int(user.is_active)}"
    return salted_hmac("utilitydesk.accounts.ApiToken", value, algorithm="sha256").hexdigest()
