"""A local stand-in for WeChat's servers sending to the account's server URL, following the
published protocol: signed query string, XML messages and events, repetitions of a message
that got no answer in time; in safe mode (``aes_key``) the message encrypted and signed with
``msg_signature``, written here from the published scheme and not with the server's code."""

import base64
import hashlib
import itertools
import secrets
import struct
import time
import xml.etree.ElementTree as ET
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client

ACCOUNT = "gh_0123456789ab"
URL = "/wechat/"


APP_ID = "wx5afe0c1d2e3f4a5b"


def sha1_of(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


class Sender:
    """``aes_key``: the EncodingAESKey — the sender then talks safe mode (``compatible``:
    the plain fields beside the ciphertext)."""

    def __init__(
        self,
        token: str,
        *,
        client: Client | None = None,
        aes_key: str = "",
        app_id: str = APP_ID,
        compatible: bool = False,
    ):
        self.token = token
        self.client = client or Client()
        self.aes_key, self.app_id, self.compatible = aes_key, app_id, compatible
        self._ids = itertools.count(24_000_000_000_000_000)

    def query(self, *, token: str | None = None, ciphertext: str | None = None, **extra: str):
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        token = self.token if token is None else token
        fields = {"signature": sha1_of(token, timestamp, nonce), "timestamp": timestamp}
        fields["nonce"] = nonce
        if ciphertext is not None:
            fields["encrypt_type"] = "aes"
            fields["msg_signature"] = sha1_of(token, timestamp, nonce, ciphertext)
        return urlencode({**fields, **extra})

    def verify(self, echostr: str, **kwargs):
        return self.client.get(f"{URL}?{self.query(echostr=echostr, **kwargs)}")

    def verify_encrypted(self, echostr: str):
        """The URL check in safe mode: ``echostr`` encrypted, signed by msg_signature."""
        ciphertext = self.encrypt(echostr.encode())
        query = self.query(ciphertext=ciphertext, echostr=ciphertext)
        return self.client.get(f"{URL}?{query}")

    # --- the published scheme --------------------------------------------------------------

    def _key(self) -> bytes:
        return base64.b64decode(self.aes_key + "=")

    def encrypt(self, message: bytes, *, app_id: str | None = None) -> str:
        key = self._key()
        plain = secrets.token_bytes(16) + struct.pack("!I", len(message)) + message
        plain += (self.app_id if app_id is None else app_id).encode()
        pad = 32 - len(plain) % 32
        plain += bytes([pad]) * pad
        encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, ciphertext: str) -> bytes:
        key = self._key()
        decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(ciphertext)) + decryptor.finalize()
        plain = plain[: -plain[-1]]
        (length,) = struct.unpack("!I", plain[16:20])
        if plain[20 + length :].decode() != self.app_id:
            raise ValueError("a reply for another account")
        return plain[20 : 20 + length]

    def open_reply(self, response) -> bytes:
        """The plain reply inside an encrypted one, after checking its msg_signature."""
        root = ET.fromstring(response.content)  # noqa: S314 - the server's reply in a test
        fields = {child.tag: child.text or "" for child in root}
        if set(fields) != {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}:
            raise ValueError(f"not an encrypted reply: {sorted(fields)}")
        expected = sha1_of(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
        if fields["MsgSignature"] != expected:
            raise ValueError("reply signature does not match")
        return self.decrypt(fields["Encrypt"])

    def envelope(self, body: str, ciphertext: str) -> str:
        """What safe mode sends: the account and the ciphertext (compatible mode: the plain
        fields as well)."""
        if self.compatible:
            return body.replace("</xml>", f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>")
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
        )

    def post(self, body: str | bytes, *, token: str | None = None, ciphertext: str | None = None):
        if self.aes_key:
            text = body.decode() if isinstance(body, bytes) else body
            ciphertext = ciphertext or self.encrypt(text.encode())
            query = self.query(token=token, ciphertext=ciphertext)
            body = self.envelope(text, ciphertext)
        else:
            query = self.query(token=token)
        return self.client.post(f"{URL}?{query}", data=body, content_type="text/xml")

    @staticmethod
    def xml(openid: str, msg_type: str, created: int | None = None, **fields: str) -> str:
        parts = [
            f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>",
            f"<CreateTime>{created or int(time.time())}</CreateTime>",
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        ]
        parts += [f"<{name}>{escape(value)}</{name}>" for name, value in fields.items()]
        return "<xml>" + "".join(parts) + "</xml>"

    def text(self, openid: str, content: str, *, msg_id: str | None = None, repeats: int = 0):
        """A text message; ``repeats``: how many more times WeChat sends it (no answer in
        5 seconds). Returns every response."""
        body = self.xml(openid, "text", Content=content, MsgId=msg_id or str(next(self._ids)))
        return [self.post(body) for _ in range(1 + repeats)]

    def event(self, openid: str, event: str, key: str = "", *, created: int | None = None):
        fields = {"Event": event, **({"EventKey": key} if key else {})}
        return self.post(self.xml(openid, "event", created, **fields))
