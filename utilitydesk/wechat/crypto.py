"""The official account's safe mode (安全模式, and the ciphertext of 兼容模式), written from
WeChat's published message-encryption scheme:

- the key: the 43-character EncodingAESKey plus "=" decoded from base64, 32 bytes; AES-256
  in CBC mode with the key's first 16 bytes as the IV;
- the plaintext: 16 random bytes, the message's length as 4 bytes in network order, the
  message (UTF-8 XML), the account's AppID; PKCS#7 padding to a 32-byte block; the
  ciphertext is sent base64-encoded in ``<Encrypt>``;
- ``msg_signature``: the SHA1 of the sorted token, timestamp, nonce and ciphertext;
- the reply: the encrypted reply in ``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/>``.
"""

import base64
import binascii
import hmac
import secrets
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .protocol import cdata, signature

BLOCK = 32
KEY_CHARS = 43


class CryptoError(ValueError):
    """The ciphertext cannot be the account's: bad key, padding, length or AppID."""


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != KEY_CHARS:
        raise CryptoError("EncodingAESKey must have 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as error:
        raise CryptoError("EncodingAESKey is not base64") from error
    if len(key) != BLOCK:
        raise CryptoError("EncodingAESKey does not decode to 32 bytes")
    return key


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


def _pad(data: bytes) -> bytes:
    amount = BLOCK - len(data) % BLOCK
    return data + bytes([amount]) * amount


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CryptoError("empty plaintext")
    amount = data[-1]
    if not 1 <= amount <= BLOCK or data[-amount:] != bytes([amount]) * amount:
        raise CryptoError("bad padding")
    return data[:-amount]


def encrypt(key: bytes, message: bytes, app_id: str, *, prefix: bytes | None = None) -> str:
    """Base64 ciphertext of ``message`` for ``app_id`` (``prefix``: the 16 random bytes)."""
    prefix = secrets.token_bytes(16) if prefix is None else prefix
    plain = _pad(prefix + struct.pack(">I", len(message)) + message + app_id.encode())
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def decrypt(key: bytes, ciphertext: str, app_id: str) -> bytes:
    """The message inside ``ciphertext``; CryptoError unless it was encrypted with ``key``
    for ``app_id``."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CryptoError("ciphertext is not base64") from error
    if not raw or len(raw) % 16:
        raise CryptoError("ciphertext is not whole AES blocks")
    decryptor = _cipher(key).decryptor()
    plain = _unpad(decryptor.update(raw) + decryptor.finalize())
    if len(plain) < 20:  # noqa: PLR2004 - 16 random bytes and the length
        raise CryptoError("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, sender = plain[20 : 20 + length], plain[20 + length :]
    if len(message) != length:
        raise CryptoError("length beyond the plaintext")
    if not hmac.compare_digest(sender, app_id.encode()):
        raise CryptoError("another account's message")
    return message


def signed(token: str, query: dict[str, str], ciphertext: str) -> bool:
    """Whether ``msg_signature`` of the query signs ``ciphertext``."""
    given = query.get("msg_signature", "")
    if not token or not given:
        return False
    expected = signature(token, query.get("timestamp", ""), query.get("nonce", ""), ciphertext)
    return hmac.compare_digest(expected, given.lower())


def wrap(key: bytes, token: str, app_id: str, reply: str, *, timestamp: str, nonce: str) -> str:
    """The encrypted passive reply as WeChat expects it."""
    ciphertext = encrypt(key, reply.encode(), app_id)
    sign = signature(token, timestamp, nonce, ciphertext)
    return (
        f"<xml><Encrypt>{cdata(ciphertext)}</Encrypt><MsgSignature>{cdata(sign)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )
