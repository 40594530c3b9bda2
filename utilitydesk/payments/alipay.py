"""Alipay's asynchronous notification (异步通知) as Alipay documents it (docs/billing.md):
a form-encoded POST whose ``sign`` is an RSA2 signature (RSA-SHA256, PKCS#1 v1.5) over the
other parameters: ``sign`` and ``sign_type`` removed, empty values left out, the rest sorted
by name and joined as ``k=v`` with ``&`` (values URL-decoded). Paid states
(TRADE_SUCCESS, TRADE_FINISHED) become one payment per ``trade_no``; the answer is exactly
``success`` when the notification was handled (or already was), ``fail`` otherwise, and
Alipay retries after ``fail``.

The signature is checked here in plain Python (no crypto package is installed): verifying
needs only the public key, so there is no secret to leak by timing."""

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import services
from .models import Channel

log = logging.getLogger(__name__)

PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
# DigestInfo prefix of SHA-256 in EMSA-PKCS1-v1_5 (RFC 8017, section 9.2, note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
RSA_OID = bytes.fromhex("2a864886f70d010101")


class KeyError_(ValueError):
    """The configured public key cannot be read."""


@dataclass(frozen=True)
class PublicKey:
    n: int
    e: int

    @property
    def size(self) -> int:
        return (self.n.bit_length() + 7) // 8


def _der_item(data: bytes, at: int) -> tuple[int, bytes, int]:
    """(tag, content, next offset) of the DER item at ``at``."""
    if at + 2 > len(data):
        raise KeyError_("truncated DER")
    tag = data[at]
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(data):
            raise KeyError_("bad DER length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise KeyError_("truncated DER")
    return tag, data[at : at + length], at + length


def _rsa_from_pkcs1(data: bytes) -> PublicKey:
    tag, body, _ = _der_item(data, 0)
    if tag != 0x30:
        raise KeyError_("not an RSA public key")
    tag_n, n, after = _der_item(body, 0)
    tag_e, e, _ = _der_item(body, after)
    if tag_n != 0x02 or tag_e != 0x02:
        raise KeyError_("not an RSA public key")
    return PublicKey(int.from_bytes(n, "big"), int.from_bytes(e, "big"))


def load_public_key(text: str) -> PublicKey:
    """Alipay's public key: PEM (``PUBLIC KEY`` or ``RSA PUBLIC KEY``) or the bare base64
    body Alipay's console shows."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    pkcs1 = any("BEGIN RSA PUBLIC KEY" in line for line in lines)
    body = "".join(line for line in lines if not line.startswith("-----"))
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise KeyError_("the key is not base64") from None
    if pkcs1:
        return _rsa_from_pkcs1(der)
    tag, spki, _ = _der_item(der, 0)
    if tag != 0x30:
        raise KeyError_("not a public key")
    tag, algorithm, after = _der_item(spki, 0)
    if tag != 0x30:
        raise KeyError_("not a public key")
    _tag, oid, _ = _der_item(algorithm, 0)
    if oid != RSA_OID:
        raise KeyError_("not an RSA key")
    tag, bits, _ = _der_item(spki, after)
    if tag != 0x03 or not bits or bits[0] != 0:
        raise KeyError_("not a public key")
    return _rsa_from_pkcs1(bits[1:])


def verify_rsa_sha256(key: PublicKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017, 8.2.2)."""
    k = key.size
    if len(signature) != k or k < 128:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    em = pow(s, key.e, key.n).to_bytes(k, "big")
    digest_info = SHA256_PREFIX + hashlib.sha256(message).digest()
    padding = k - len(digest_info) - 3
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    return hmac.compare_digest(em, expected)


def signed_content(params: Mapping[str, str]) -> str:
    """The string Alipay signs: every non-empty parameter but ``sign`` and ``sign_type``,
    sorted by name, ``k=v`` joined with ``&``."""
    return "&".join(
        f"{name}={params[name]}"
        for name in sorted(params)
        if name not in ("sign", "sign_type") and params[name] != ""
    )


def parse_body(body: bytes) -> dict[str, str]:
    """The form's parameters, URL-decoded in the charset the notification names."""
    charset = "utf-8"
    for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        if name == "charset" and value.lower() in ("utf-8", "gbk", "gb2312", "gb18030"):
            charset = value.lower()
    text = body.decode(charset, errors="strict")
    params: dict[str, str] = {}
    for name, value in parse_qsl(text, keep_blank_values=True, encoding=charset):
        params[name] = value
    return params


def signature_valid(params: Mapping[str, str], key_text: str) -> bool:
    if params.get("sign_type", "RSA2") != "RSA2" or not params.get("sign"):
        return False
    try:
        key = load_public_key(key_text)
        signature = base64.b64decode(params["sign"], validate=True)
    except (KeyError_, binascii.Error, ValueError):
        return False
    charset = params.get("charset", "utf-8") or "utf-8"
    try:
        message = signed_content(params).encode(charset)
    except (LookupError, UnicodeEncodeError):
        return False
    return verify_rsa_sha256(key, message, signature)


def _moment(raw: str) -> datetime | None:
    moment = parse_datetime(raw) if raw else None
    if moment is None:
        return None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def handle_notification(params: Mapping[str, str], *, now: datetime | None = None) -> bool:
    """True when the notification was handled (answer ``success``): a valid signature and,
    for a paid state, the order's payment applied (now or before). False answers ``fail``."""
    key_text = settings.ALIPAY_PUBLIC_KEY
    if not key_text:
        log.error("Alipay notification refused: ALIPAY_PUBLIC_KEY is not set")
        return False
    if not signature_valid(params, key_text):
        log.warning(
            "Alipay notification with a bad signature (notify_id %s)", params.get("notify_id")
        )
        return False
    if settings.ALIPAY_APP_ID and params.get("app_id") != settings.ALIPAY_APP_ID:
        log.warning("Alipay notification for another app_id %s", params.get("app_id"))
        return False
    if params.get("trade_status") not in PAID_STATES:
        # WAIT_BUYER_PAY, TRADE_CLOSED: nothing is paid; acknowledged so it is not resent.
        return True
    trade_no = params.get("trade_no", "")
    out_trade_no = params.get("out_trade_no", "")
    try:
        amount = Decimal(params.get("total_amount", ""))
    except InvalidOperation:
        return False
    if not trade_no or not out_trade_no or not amount.is_finite():
        return False
    try:
        services.apply_online_payment(
            Channel.ALIPAY,
            out_trade_no,
            trade_no,
            amount,
            _moment(params.get("gmt_payment", "")),
            now=now,
        )
    except services.OrderProblem as problem:
        log.warning("Alipay notification %s not applied: %s", trade_no, problem)
        return False
    return True
