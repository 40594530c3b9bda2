"""Tencent Cloud SMS (API 3.0, version 2021-01-11), action ``SendSms``.

Written from Tencent Cloud's published documentation (docs/outages.md, "Notice delivery"):

- one POST of JSON to the endpoint (``https://sms.tencentcloudapi.com``), with the common
  headers X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region and an ``Authorization``
  header signed with TC3-HMAC-SHA256 (``sign``);
- the body: ``PhoneNumberSet`` (at most 200 numbers, E.164: +86…), ``SmsSdkAppId``,
  ``SignName``, ``TemplateId``, ``TemplateParamSet`` (the template's values in order) and
  ``SessionContext`` (returned as sent);
- the answer: ``{"Response": {"SendStatusSet": [{"SerialNo", "PhoneNumber", "Code",
  "Message", …}], "RequestId"}}``, ``Code`` "Ok" per number that was accepted, or
  ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` when the whole request was
  refused.

Settings (environment, see settings.py): SMS_TENCENT_SECRET_ID, SMS_TENCENT_SECRET_KEY,
SMS_TENCENT_APP_ID, SMS_TENCENT_SIGN_NAME, SMS_TENCENT_ENDPOINT, SMS_TENCENT_REGION,
SMS_TENCENT_RATE_PER_SECOND, SMS_TENCENT_TIMEOUT_SECONDS, SMS_TENCENT_TEXT_TEMPLATE_ID."""

import hashlib
import hmac
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from . import transport
from .backends import DeliveryError, Outcome
from .transport import NO_ANSWER

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
MAX_NUMBERS = 200  # PhoneNumberSet: at most 200 numbers per request
OK = "Ok"
# Signed headers: host and content-type at least; the action too (the documented example).
SIGNED_HEADERS = ("content-type", "host", "x-tc-action")

# Codes that mean "not sent, try again later": the provider busy, a frequency limit on the
# account or the number for the next seconds / hour, the package used up.
RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "ResourceUnavailable")
RETRYABLE_CODES = frozenset(
    {
        "LimitExceeded.DeliveryFrequencyLimit",
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberOneHourLimit",
        "LimitExceeded.AppDailyLimit",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "FailedOperation.JsonParseFail",
    }
)
# Our own code for a number that is not a mainland mobile number (never sent).
NOT_A_MOBILE = "InvalidParameterValue.IncorrectPhoneNumber"

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def is_retryable(code: str) -> bool:
    return code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES)


def to_e164(phone: str) -> str | None:
    """A mainland mobile number as +86…, or None (landlines cannot receive texts)."""
    digits = re.sub(r"[\s-]", "", phone or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return "+86" + digits if _MOBILE.match(digits) else None


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Signed:
    headers: dict[str, str]
    canonical_request: str
    string_to_sign: str
    signature: str


def sign(
    *,
    secret_id: str,
    secret_key: str,
    host: str,
    action: str,
    version: str,
    region: str,
    payload: bytes,
    timestamp: int,
    service: str = SERVICE,
) -> Signed:
    """The headers of a signed API 3.0 POST (TC3-HMAC-SHA256):

    1. canonical request: method, URI "/", empty query, the signed headers as lower-case
       ``name:value`` lines sorted by name, their names joined by ";", and the hex SHA-256
       of the body;
    2. string to sign: algorithm, timestamp, credential scope (UTC date/service/tc3_request)
       and the hex SHA-256 of the canonical request, one per line;
    3. key: HMAC-SHA256 chain from "TC3" + secret key over the date, the service and
       "tc3_request"; the signature is the hex HMAC of the string to sign with it."""
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    values = {"content-type": CONTENT_TYPE, "host": host, "x-tc-action": action}
    names = sorted(SIGNED_HEADERS)
    canonical_headers = "".join(f"{n}:{values[n].strip().lower()}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        ["POST", "/", "", canonical_headers, signed_headers, _sha256_hex(payload)]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, _sha256_hex(canonical_request.encode("utf-8"))]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers = {
        "Authorization": (
            f"{ALGORITHM} Credential={secret_id}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        ),
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": region,
    }
    return Signed(headers, canonical_request, string_to_sign, signature)


class ProviderError(Exception):
    """The request failed as a whole. ``sent_unknown``: it may have reached the provider."""

    def __init__(self, code: str, message: str, *, retryable: bool, sent_unknown: bool = False):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable
        self.sent_unknown = sent_unknown


class TencentSmsBackend:
    """Sends notice templates through Tencent Cloud SMS; see the module docstring."""

    provider = "tencent"
    max_batch = MAX_NUMBERS

    def __init__(self, **overrides: Any):
        config = {**settings.SMS_TENCENT, **overrides}
        self.secret_id: str = config["SECRET_ID"]
        self.secret_key: str = config["SECRET_KEY"]
        self.app_id: str = config["APP_ID"]
        self.sign_name: str = config["SIGN_NAME"]
        self.endpoint: str = config["ENDPOINT"].rstrip("/") + "/"
        self.region: str = config["REGION"]
        self.timeout = float(config["TIMEOUT_SECONDS"])
        self.rate_per_second = float(config["RATE_PER_SECOND"])
        self.text_template_id: str = config.get("TEXT_TEMPLATE_ID", "")
        self.host = urlsplit(self.endpoint).netloc

    # --- one request ---------------------------------------------------------------------

    def send_sms(
        self, numbers: Sequence[str], template_id: str, values: Sequence[str], context: str = ""
    ) -> dict[str, dict[str, Any]]:
        """One SendSms request; the SendStatus of each number (by its E.164 form)."""
        if not numbers:
            return {}
        if len(numbers) > MAX_NUMBERS:
            raise ValueError(f"at most {MAX_NUMBERS} numbers per request")
        if not (self.secret_id and self.secret_key and self.app_id):
            raise ProviderError(
                "UtilityDesk.NotConfigured",
                "SMS_TENCENT_SECRET_ID, SMS_TENCENT_SECRET_KEY and SMS_TENCENT_APP_ID are required",
                retryable=True,
            )
        body: dict[str, Any] = {
            "PhoneNumberSet": list(numbers),
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": list(values),
        }
        if context:
            body["SessionContext"] = context[:500]
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        signed = sign(
            secret_id=self.secret_id,
            secret_key=self.secret_key,
            host=self.host,
            action=ACTION,
            version=VERSION,
            region=self.region,
            payload=payload,
            timestamp=int(time.time()),
        )
        answer = self._post(payload, signed.headers)
        response = answer.get("Response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            raise ProviderError(
                NO_ANSWER,
                "the answer is not an API 3.0 response",
                retryable=False,
                sent_unknown=True,
            )
        error = response.get("Error")
        if isinstance(error, dict):
            # The whole request refused (signature, key, template, account): nothing was
            # sent; most causes are fixed in the configuration, so it is tried again.
            code = str(error.get("Code", ""))
            raise ProviderError(code, str(error.get("Message", "")), retryable=True)
        statuses = response.get("SendStatusSet") or []
        return {str(s.get("PhoneNumber", "")): s for s in statuses if isinstance(s, dict)}

    def _post(self, payload: bytes, headers: dict[str, str]) -> Any:
        request = urllib.request.Request(
            self.endpoint, data=payload, headers=headers, method="POST"
        )  # noqa: S310 - the configured https endpoint
        try:
            raw = transport.exchange(request, self.timeout)
        except transport.TransportError as error:
            raise ProviderError(
                error.code, error.message, retryable=error.retryable, sent_unknown=error.unknown
            ) from error
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ProviderError(
                NO_ANSWER, "the answer is not JSON", retryable=False, sent_unknown=True
            ) from error

    # --- the notifications backend interface -------------------------------------------

    def send_notices(
        self, template_id: str, values: Sequence[str], messages: Sequence[Any]
    ) -> list[Outcome]:
        """Send one template with its values to the messages' numbers (≤ 200): one Outcome
        per message."""
        outcomes: list[Outcome] = []
        numbers: dict[str, Any] = {}
        for message in messages:
            e164 = to_e164(message.address)
            if e164 is None:
                outcomes.append(
                    Outcome(
                        message.pk, False, code=NOT_A_MOBILE, error="not a mainland mobile number"
                    )
                )
            elif e164 in numbers:  # one number once per request; the next run sends it
                outcomes.append(
                    Outcome(message.pk, False, code="UtilityDesk.Duplicate", retryable=True)
                )
            else:
                numbers[e164] = message
        if not numbers:
            return outcomes
        try:
            statuses = self.send_sms(list(numbers), template_id, values)
        except ProviderError as error:
            return outcomes + [
                Outcome(
                    m.pk,
                    False,
                    code=error.code,
                    error=str(error)[:500],
                    retryable=error.retryable,
                    unknown=error.sent_unknown,
                )
                for m in numbers.values()
            ]
        for e164, message in numbers.items():
            status = statuses.get(e164)
            if status is None:  # the answer does not mention it: it may have been sent
                outcomes.append(
                    Outcome(
                        message.pk,
                        False,
                        code=NO_ANSWER,
                        error="number missing from SendStatusSet",
                        unknown=True,
                    )
                )
                continue
            code = str(status.get("Code", ""))
            if code == OK:
                outcomes.append(Outcome(message.pk, True, serial=str(status.get("SerialNo", ""))))
            else:
                outcomes.append(
                    Outcome(
                        message.pk,
                        False,
                        code=code,
                        error=f"{code}: {status.get('Message', '')}"[:500],
                        retryable=is_retryable(code),
                    )
                )
        return outcomes

    def deliver(self, message: Any, text: str | None = None) -> None:
        """A free text (a staff member's text to a customer, a staff notice): Tencent sends
        only approved templates, so it goes as the one value of SMS_TENCENT_TEXT_TEMPLATE_ID."""
        if not self.text_template_id:
            raise DeliveryError(
                "Tencent SMS sends templates only: set SMS_TENCENT_TEXT_TEMPLATE_ID"
            )
        e164 = to_e164(message.address)
        if e164 is None:
            raise DeliveryError(f"{NOT_A_MOBILE}: not a mainland mobile number")
        try:
            statuses = self.send_sms([e164], self.text_template_id, [text or message.body])
        except ProviderError as error:
            raise DeliveryError(str(error)) from error
        status = statuses.get(e164) or {}
        if status.get("Code") != OK:
            raise DeliveryError(f"{status.get('Code', NO_ANSWER)}: {status.get('Message', '')}")
        message.provider, message.provider_id = self.provider, str(status.get("SerialNo", ""))
        message.save(update_fields=["provider", "provider_id"])
