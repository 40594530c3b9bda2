"""WeChat official-account template messages, written from WeChat's published API:

- ``GET {API_BASE}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…`` →
  ``{"access_token", "expires_in"}``: kept in the cache until shortly before it expires
  (every worker shares it; a token the server calls invalid, errcode 40001 / 40014 /
  42001, is dropped and fetched once more);
- ``POST {API_BASE}/cgi-bin/message/template/send?access_token=…`` with ``{"touser":
  openid, "template_id", "url"?, "data": {key: {"value"}}}`` → ``{"errcode": 0,
  "errmsg": "ok", "msgid"}``;
- ``POST …/cgi-bin/message/custom/send`` (an agent's text answer, issue 17 ``wechat``
  app) and ``POST …/cgi-bin/menu/create`` (the account's menu), same token handling;
- ``GET {API_BASE}/sns/oauth2/access_token?appid=…&secret=…&code=…&grant_type=
  authorization_code`` → ``{"access_token", "expires_in", "refresh_token", "openid",
  "scope"}``: the web-page authorisation's code (snsapi_base) exchanged for the openid.

A WeChat notice's address is the customer's openid (bound by issue 17); its template's
placeholders are the keys of the WeChat template (``{thing1}``, ``{time2}`` …).

Settings: WECHAT = {APP_ID, APP_SECRET, API_BASE, RATE_PER_SECOND, TIMEOUT_SECONDS, URL}
(environment WECHAT_APP_ID …; WECHAT_BACKEND=utilitydesk.notifications.wechat.WeChatTemplateBackend)."""

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from . import transport
from .backends import DeliveryError, Outcome
from .transport import NO_ANSWER

TOKEN_ERRORS = {40001, 40014, 42001}
RETRYABLE = {-1, 45009, 40037, 45047} | TOKEN_ERRORS


class WeChatError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool, unknown: bool = False):
        super().__init__(f"{code}: {message}")
        self.code, self.retryable, self.unknown = code, retryable, unknown


class WeChatTemplateBackend:
    provider = "wechat"
    max_batch = 50  # one request per message; this many per claim group

    def __init__(self, **overrides: Any):
        config = {**settings.WECHAT, **overrides}
        self.app_id: str = config["APP_ID"]
        self.app_secret: str = config["APP_SECRET"]
        self.base: str = config["API_BASE"].rstrip("/")
        self.timeout = float(config["TIMEOUT_SECONDS"])
        self.rate_per_second = float(config["RATE_PER_SECOND"])
        self.link: str = config.get("URL", "")

    @property
    def _cache_key(self) -> str:
        return f"wechat:access_token:{self.app_id}"

    def _call(self, url: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 - the configured https API
            url,
            data=data,
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="GET" if data is None else "POST",
        )
        try:
            answer = json.loads(transport.exchange(request, self.timeout))
        except transport.TransportError as error:
            raise WeChatError(
                error.code, error.message, retryable=error.retryable, unknown=error.unknown
            ) from error
        except ValueError as error:
            raise WeChatError(
                NO_ANSWER, "the answer is not JSON", retryable=False, unknown=True
            ) from error
        return answer if isinstance(answer, dict) else {}

    def access_token(self, *, fresh: bool = False) -> str:
        token = None if fresh else cache.get(self._cache_key)
        if token:
            return str(token)
        if not (self.app_id and self.app_secret):
            raise WeChatError(
                "UtilityDesk.NotConfigured", "WECHAT_APP_ID / WECHAT_APP_SECRET", retryable=True
            )
        query = urlencode(
            {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
        )
        answer = self._call(f"{self.base}/cgi-bin/token?{query}")
        token = answer.get("access_token")
        if not token:
            code = int(answer.get("errcode", -1))
            raise WeChatError(str(code), str(answer.get("errmsg", "")), retryable=True)
        expires = int(answer.get("expires_in", 7200))
        cache.set(self._cache_key, token, timeout=max(60, expires - 300))
        return str(token)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to an API path with the access token; a token the server calls
        invalid or expired is fetched again once. Raises WeChatError unless errcode is 0."""
        for attempt in range(2):
            token = self.access_token(fresh=attempt > 0)
            answer = self._call(f"{self.base}{path}?{urlencode({'access_token': token})}", body)
            code = int(answer.get("errcode", -1))
            if code == 0:
                return answer
            if code in TOKEN_ERRORS and attempt == 0:
                cache.delete(self._cache_key)
                continue
            raise WeChatError(str(code), str(answer.get("errmsg", "")), retryable=code in RETRYABLE)
        raise WeChatError("40001", "access token refused twice", retryable=True)

    def oauth_openid(self, code: str) -> str:
        """The openid of the follower who opened a page through the web-page authorisation
        (the ``code`` WeChat added to the page's address; valid once, for 5 minutes)."""
        if not (self.app_id and self.app_secret):
            raise WeChatError(
                "UtilityDesk.NotConfigured", "WECHAT_APP_ID / WECHAT_APP_SECRET", retryable=False
            )
        query = urlencode(
            {
                "appid": self.app_id,
                "secret": self.app_secret,
                "code": code,
                "grant_type": "authorization_code",
            }
        )
        answer = self._call(f"{self.base}/sns/oauth2/access_token?{query}")
        openid = str(answer.get("openid") or "")
        if not openid or len(openid) > 64:  # noqa: PLR2004 - Follower.openid's length
            code_ = str(answer.get("errcode", -1))
            raise WeChatError(code_, str(answer.get("errmsg", "no openid")), retryable=False)
        return openid

    def send_template(self, openid: str, template_id: str, data: dict[str, str]) -> str:
        """One template message; returns its msgid."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} for key, value in data.items()},
        }
        if self.link:
            body["url"] = self.link
        return str(self.post("/cgi-bin/message/template/send", body).get("msgid", ""))

    def send_text(self, openid: str, text: str) -> None:
        """A customer-service text (allowed within 48 hours of the follower's last message)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        self.post("/cgi-bin/message/custom/send", body)

    def create_menu(self, menu: dict[str, Any]) -> None:
        """Replace the official account's custom menu."""
        self.post("/cgi-bin/menu/create", menu)

    def send_notices(
        self,
        template_id: str,
        values: Sequence[str],  # noqa: ARG002 - WeChat takes the values by key
        messages: Sequence[Any],
    ) -> list[Outcome]:
        outcomes = []
        for message in messages:
            # The template's keys are its placeholders; the message keeps their values.
            data = {str(key): str(value) for key, value in (message.params or {}).items()}
            try:
                msgid = self.send_template(message.address, template_id, data)
            except WeChatError as error:
                outcomes.append(
                    Outcome(
                        message.pk,
                        False,
                        code=error.code,
                        error=str(error)[:500],
                        retryable=error.retryable,
                        unknown=error.unknown,
                    )
                )
            else:
                outcomes.append(Outcome(message.pk, True, serial=msgid))
        return outcomes

    def deliver(self, message: Any, text: str | None = None) -> None:
        raise DeliveryError("WeChat official accounts send template messages only")
