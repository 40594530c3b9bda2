"""WeChat's web-page authorisation (网页授权, scope ``snsapi_base``): the address that sends
the follower through WeChat and back with a ``code``, and the ``state`` that comes back
with it. WeChat allows only letters and digits in ``state`` (at most 128): it is a random
nonce kept in the session, the time it was made and an HMAC of both with the project's
secret — so it is refused when forged, from another session, older than ten minutes or
used already."""

import secrets
import time
from urllib.parse import quote

from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare, salted_hmac

AUTHORIZE_URL = "https://open.weixin.qq.com/connect/oauth2/authorize"
SESSION_STATE = "wechat_oauth_state"
STATE_SECONDS = 600
_SALT = "utilitydesk.wechat.oauth"
_NONCE, _TIME, _MAC = 32, 10, 40


def _mac(nonce: str, made: str) -> str:
    return salted_hmac(_SALT, f"{nonce}{made}", algorithm="sha1").hexdigest()


def new_state(session: SessionBase, *, now: float | None = None) -> str:
    nonce = secrets.token_hex(_NONCE // 2)
    made = f"{int(now if now is not None else time.time()):010d}"
    session[SESSION_STATE] = nonce
    return f"{nonce}{made}{_mac(nonce, made)}"


def take_state(session: SessionBase, state: str, *, now: float | None = None) -> bool:
    """Whether ``state`` is the one this session was given; it cannot be used again."""
    expected = str(session.pop(SESSION_STATE, "") or "")
    if len(state) != _NONCE + _TIME + _MAC or not state.isascii() or not state.isalnum():
        return False
    nonce, made, mac = state[:_NONCE], state[_NONCE : _NONCE + _TIME], state[_NONCE + _TIME :]
    if not (expected and made.isdigit()):
        return False
    age = (now if now is not None else time.time()) - int(made)
    return (
        constant_time_compare(mac, _mac(nonce, made))
        and constant_time_compare(nonce, expected)
        and 0 <= age <= STATE_SECONDS
    )


def authorize_url(app_id: str, redirect_uri: str, state: str) -> str:
    """In the order WeChat's documentation gives the parameters."""
    return (
        f"{AUTHORIZE_URL}?appid={quote(app_id, safe='')}"
        f"&redirect_uri={quote(redirect_uri, safe='')}"
        f"&response_type=code&scope=snsapi_base&state={state}#wechat_redirect"
    )
