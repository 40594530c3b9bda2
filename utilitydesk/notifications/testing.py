"""A local stand-in for Tencent Cloud SMS (SendSms, API 3.0, 2021-01-11) on 127.0.0.1, for
tests and the benchmark. It follows the provider's documented request and response
formats and checks each request as the provider does:

- POST of JSON to "/", headers X-TC-Action "SendSms", X-TC-Version "2021-01-11",
  X-TC-Timestamp (within 5 minutes, else AuthFailure.SignatureExpire), X-TC-Region;
- the ``Authorization`` header (TC3-HMAC-SHA256): the secret id must be known
  (AuthFailure.SecretIdNotFound) and the signature is recomputed here, from the headers
  as received and the raw body, with the secret key (AuthFailure.SignatureFailure);
- the body: 1–200 numbers (LimitExceeded.PhoneNumberCountLimit), the app id
  (InvalidParameterValue.SdkAppIdNotExist), a known template
  (FailedOperation.TemplateIncorrectOrUnapproved), a sign name
  (FailedOperation.SignatureIncorrectOrUnapproved);
- per number a SendStatus with a SerialNo and Code "Ok", or the code scripted for that
  number (``script``: phone → codes, one per attempt, the last repeating), or
  InvalidParameterValue.IncorrectPhoneNumber for a number that is not +86 and 11 digits.

Whole requests can be scripted to fail (``fail_requests``: API error codes, one per
request) or to lose their answer after the numbers were taken (``drop_answers``).

    with TencentSmsStub() as stub:
        settings.SMS_TENCENT = stub.settings()
        ...
        stub.sent  # [(phone, serial, template id, values)]

The signature is recomputed by code of its own, not by utilitydesk.notifications.tencent,
so a mistake in the adapter's signing shows as a refused request."""

import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SECRET_ID = "AKIDstub0000000000000000000000000000"  # nosec B105: the local stub's fake key
SECRET_KEY = "stub-secret-key-000000000000000000"  # nosec B105 - the stub's own test key
APP_ID = "1400000000"
SIGN_NAME = "临河热力"

_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/]+)"
    r"/tc3_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<sig>[0-9a-f]{64})$"
)
_NUMBER = re.compile(r"^\+86(1[3-9]\d{9})$")


def _hmac_sha256(key: bytes, data: str) -> bytes:
    return hmac.new(key, data.encode(), hashlib.sha256).digest()


def expected_signature(
    *,
    secret_key: str,
    method: str,
    headers: dict[str, str],
    signed: list[str],
    body: bytes,
    timestamp: str,
    date: str,
    service: str,
) -> str:
    """The TC3-HMAC-SHA256 signature of a request as the provider computes it."""
    canonical_headers = "".join(
        f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed
    )
    canonical = "\n".join(
        [method, "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()]
    )
    to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            timestamp,
            f"{date}/{service}/tc3_request",
            hashlib.sha256(canonical.encode()).hexdigest(),
        ]
    )
    key = ("TC3" + secret_key).encode()
    for part in (date, service, "tc3_request"):
        key = _hmac_sha256(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSmsStub:
    def __init__(
        self,
        *,
        templates: Iterable[str] | None = None,
        script: dict[str, list[str]] | None = None,
        delay: float = 0.0,
    ):
        # Template ids it accepts (None: any non-empty id).
        self.templates = set(templates) if templates is not None else None
        self.script: dict[str, list[str]] = dict(script or {})
        self.fail_requests: list[str] = []
        self.drop_answers = 0
        self.delay = delay
        self.requests: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.sent: list[tuple[str, str, str, list[str]]] = []
        self.attempts: dict[str, int] = {}
        self._serials = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> "TencentSmsStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = stub.handle(self.command, self.path, dict(self.headers.items()), body)
                if answer is None:  # an answer lost on the way back
                    self.close_connection = True
                    self.connection.close()
                    return
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "TencentSmsStub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stub is not started")
        return f"http://127.0.0.1:{self._server.server_port}/"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """A complete SMS_TENCENT setting pointing at this stub."""
        return {
            "SECRET_ID": SECRET_ID,
            "SECRET_KEY": SECRET_KEY,
            "APP_ID": APP_ID,
            "SIGN_NAME": SIGN_NAME,
            "ENDPOINT": self.url,
            "REGION": "ap-guangzhou",
            "RATE_PER_SECOND": 0,
            "TIMEOUT_SECONDS": 5,
            "TEXT_TEMPLATE_ID": "",
            "CALLBACK_TOKEN": "stub-callback-token",  # nosec B105: the local stub's token
            **overrides,
        }

    # --- the provider -------------------------------------------------------------------

    def _error(self, code: str, message: str) -> dict[str, Any]:
        with self._lock:
            self.refused.append(code)
        return {
            "Response": {"Error": {"Code": code, "Message": message}, "RequestId": _request_id()}
        }

    def handle(
        self, method: str, path: str, raw_headers: dict[str, str], body: bytes
    ) -> dict | None:
        if self.delay:
            time.sleep(self.delay)
        headers = {k.lower(): v for k, v in raw_headers.items()}
        if method != "POST" or path.split("?")[0] != "/":
            return self._error("InvalidAction", "POST to / only")
        if headers.get("x-tc-action") != "SendSms":
            return self._error("InvalidAction", "unknown action")
        if headers.get("x-tc-version") != "2021-01-11":
            return self._error("NoSuchVersion", "unknown version")
        if not headers.get("x-tc-region"):
            return self._error("MissingParameter", "X-TC-Region")
        if not headers.get("content-type", "").startswith("application/json"):
            return self._error("InvalidParameter", "JSON bodies only")
        timestamp = headers.get("x-tc-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return self._error("AuthFailure.SignatureExpire", "timestamp too far from now")
        match = _AUTH.match(headers.get("authorization", ""))
        if match is None:
            return self._error("AuthFailure.InvalidAuthorization", "malformed Authorization")
        if match["id"] != SECRET_ID:
            return self._error("AuthFailure.SecretIdNotFound", "unknown secret id")
        signed = match["headers"].split(";")
        date = datetime.fromtimestamp(int(timestamp), tz=UTC).strftime("%Y-%m-%d")
        if (
            "host" not in signed
            or "content-type" not in signed
            or signed != sorted(signed)
            or match["date"] != date
            or match["service"] != "sms"
        ):
            return self._error(
                "AuthFailure.InvalidAuthorization", "bad credential scope or headers"
            )
        expected = expected_signature(
            secret_key=SECRET_KEY,
            method=method,
            headers=headers,
            signed=signed,
            body=body,
            timestamp=timestamp,
            date=date,
            service="sms",
        )
        if not hmac.compare_digest(expected, match["sig"]):
            return self._error("AuthFailure.SignatureFailure", "signature mismatch")
        try:
            request = json.loads(body)
        except ValueError:
            return self._error("FailedOperation.JsonParseFail", "body is not JSON")
        numbers = request.get("PhoneNumberSet")
        if not isinstance(numbers, list) or not numbers:
            return self._error("MissingParameter", "PhoneNumberSet")
        if len(numbers) > 200:
            return self._error("LimitExceeded.PhoneNumberCountLimit", "more than 200 numbers")
        if request.get("SmsSdkAppId") != APP_ID:
            return self._error("InvalidParameterValue.SdkAppIdNotExist", "unknown SmsSdkAppId")
        if not request.get("SignName"):
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "no SignName")
        template = str(request.get("TemplateId") or "")
        if not template or (self.templates is not None and template not in self.templates):
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "unknown template")
        values = request.get("TemplateParamSet") or []
        with self._lock:
            self.requests.append({"headers": headers, "body": request})
            failure = self.fail_requests.pop(0) if self.fail_requests else None
        if failure:
            return self._error(failure, "scripted failure")
        statuses = [self._status(str(n), template, values) for n in numbers]
        with self._lock:
            if self.drop_answers > 0:
                self.drop_answers -= 1
                return None
        return {"Response": {"SendStatusSet": statuses, "RequestId": _request_id()}}

    def _status(self, number: str, template: str, values: list[str]) -> dict[str, Any]:
        with self._lock:
            attempt = self.attempts.get(number, 0)
            self.attempts[number] = attempt + 1
            codes = self.script.get(number) or ["Ok"]
            code = codes[min(attempt, len(codes) - 1)]
            if not _NUMBER.match(number):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            serial = ""
            if code == "Ok":
                serial = f"2433:{next(self._serials):012d}"
                self.sent.append((number, serial, template, list(values)))
        return {
            "SerialNo": serial,
            "PhoneNumber": number,
            "Fee": 1 if code == "Ok" else 0,
            "SessionContext": "",
            "Code": code,
            "Message": "send success" if code == "Ok" else code,
            "IsoCode": "CN",
        }

    # --- status reports -----------------------------------------------------------------

    def reports(
        self, serials: Iterable[str] | None = None, *, status: str = "SUCCESS"
    ) -> list[dict[str, str]]:
        """Status reports as the provider POSTs them to the callback URL (a JSON array)."""
        wanted = set(serials) if serials is not None else None
        with self._lock:
            sent = [s for s in self.sent if wanted is None or s[1] in wanted]
        return [
            {
                "user_receive_time": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                "nationcode": "86",
                "mobile": number[3:],
                "report_status": status,
                "errmsg": "DELIVRD" if status == "SUCCESS" else "MK:0001",
                "description": "用户短信送达成功" if status == "SUCCESS" else "用户短信接收失败",
                "sid": serial,
            }
            for number, serial, _template, _values in sent
        ]


def _request_id() -> str:
    return hashlib.md5(str(time.time_ns()).encode(), usedforsecurity=False).hexdigest()


WECHAT_APP_ID = "wxstub000000000000"
WECHAT_APP_SECRET = "stub-wechat-secret"  # nosec B105 - the stub's own test secret


class WeChatStub:
    """A local WeChat official-account API: ``/cgi-bin/token`` (client_credential),
    ``/cgi-bin/message/template/send`` (kept in ``sent``), ``/cgi-bin/message/custom/send``
    (``texts``), ``/cgi-bin/menu/create`` (``menus``) and the web-page authorisation's
    ``/sns/oauth2/access_token`` (``codes``: code → openid, each code once), with the
    documented request and answer shapes.
    ``refuse``: openid → errcode (43004 not following, 40003 invalid openid …);
    ``expire_tokens``: how many sends answer 42001 (token expired) first."""

    def __init__(self) -> None:
        self.refuse: dict[str, int] = {}
        self.expire_tokens = 0
        self.tokens_issued = 0
        self.sent: list[dict[str, Any]] = []
        self.texts: list[dict[str, Any]] = []
        self.menus: list[dict[str, Any]] = []
        self.codes: dict[str, str] = {}
        self._token = ""  # nosec B105: no access token issued yet
        self._msgids = itertools.count(200_000_000)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "WeChatStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, body: dict[str, Any]) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/sns/"):
                    self._answer(stub.oauth(self.path))
                else:
                    self._answer(stub.token(self.path))

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._answer(stub.send(self.path, body))

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "WeChatStub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        if self._server is None:
            raise RuntimeError("the stub is not started")
        return {
            "APP_ID": WECHAT_APP_ID,
            "APP_SECRET": WECHAT_APP_SECRET,
            "API_BASE": f"http://127.0.0.1:{self._server.server_port}",
            "RATE_PER_SECOND": 0,
            "TIMEOUT_SECONDS": 5,
            "URL": "",
            **overrides,
        }

    def token(self, path: str) -> dict[str, Any]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path != "/cgi-bin/token" or query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != WECHAT_APP_ID or query.get("secret") != WECHAT_APP_SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self._lock:
            self.tokens_issued += 1
            self._token = f"TOKEN{self.tokens_issued}"
            return {"access_token": self._token, "expires_in": 7200}

    def oauth(self, path: str) -> dict[str, Any]:
        parts = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if (
            parts.path != "/sns/oauth2/access_token"
            or query.get("grant_type") != "authorization_code"
        ):
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != WECHAT_APP_ID or query.get("secret") != WECHAT_APP_SECRET:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        with self._lock:
            openid = self.codes.pop(query.get("code", ""), None)
        if openid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {
            "access_token": f"WEB{secrets.token_hex(8)}",
            "expires_in": 7200,
            "refresh_token": f"REFRESH{secrets.token_hex(8)}",
            "openid": openid,
            "scope": "snsapi_base",
        }

    def send(self, path: str, body: bytes) -> dict[str, Any]:
        parts = urlsplit(path)
        token = parse_qs(parts.query).get("access_token", [""])[0]
        if parts.path not in {
            "/cgi-bin/message/template/send",
            "/cgi-bin/message/custom/send",
            "/cgi-bin/menu/create",
        }:
            return {"errcode": 40001, "errmsg": "invalid path"}
        with self._lock:
            if self.expire_tokens > 0:
                self.expire_tokens -= 1
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if not token or token != self._token:
                return {"errcode": 40001, "errmsg": "invalid credential"}
        try:
            message = json.loads(body)
        except ValueError:
            return {"errcode": 47001, "errmsg": "data format error"}
        if parts.path == "/cgi-bin/menu/create":
            return self._menu(message)
        if parts.path == "/cgi-bin/message/custom/send":
            return self._custom(message)
        openid = str(message.get("touser", ""))
        data = message.get("data")
        if not openid or not message.get("template_id") or not isinstance(data, dict):
            return {"errcode": 47001, "errmsg": "data format error"}
        if any(not isinstance(v, dict) or "value" not in v for v in data.values()):
            return {"errcode": 47001, "errmsg": "data format error"}
        if openid in self.refuse:
            return {"errcode": self.refuse[openid], "errmsg": "refused"}
        with self._lock:
            msgid = next(self._msgids)
            self.sent.append({"msgid": msgid, **message})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def _custom(self, message: dict[str, Any]) -> dict[str, Any]:
        openid = str(message.get("touser", ""))
        text = message.get("text")
        if message.get("msgtype") != "text" or not isinstance(text, dict) or not openid:
            return {"errcode": 47001, "errmsg": "data format error"}
        if not str(text.get("content", "")).strip():
            return {"errcode": 44003, "errmsg": "empty news data"}
        if openid in self.refuse:
            return {"errcode": self.refuse[openid], "errmsg": "refused"}
        with self._lock:
            self.texts.append(message)
        return {"errcode": 0, "errmsg": "ok"}

    def _menu(self, menu: dict[str, Any]) -> dict[str, Any]:
        buttons = menu.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:  # noqa: PLR2004
            return {"errcode": 40016, "errmsg": "invalid button size"}
        for button in buttons:
            subs = button.get("sub_button", [])
            if len(subs) > 5 or not button.get("name"):  # noqa: PLR2004
                return {"errcode": 40017, "errmsg": "invalid sub button size"}
            for item in subs or [button]:
                if item.get("type") == "view" and not str(item.get("url", "")).startswith(
                    ("http://", "https://")
                ):
                    return {"errcode": 40055, "errmsg": "invalid button url"}
        with self._lock:
            self.menus.append(menu)
        return {"errcode": 0, "errmsg": "ok"}
