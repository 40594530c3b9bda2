"""A local stand-in for WeChat's servers sending to the account's server URL, following the
published protocol: signed query string, XML messages and events, repetitions of a message
that got no answer in time."""

import itertools
import secrets
import time
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.test import Client

from utilitydesk.wechat.protocol import signature

ACCOUNT = "gh_0123456789ab"
URL = "/wechat/"


class Sender:
    def __init__(self, token: str, *, client: Client | None = None):
        self.token = token
        self.client = client or Client()
        self._ids = itertools.count(24_000_000_000_000_000)

    def query(self, *, token: str | None = None, **extra: str) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(5)
        sign = signature(self.token if token is None else token, timestamp, nonce)
        return urlencode({"signature": sign, "timestamp": timestamp, "nonce": nonce, **extra})

    def verify(self, echostr: str, **kwargs):
        return self.client.get(f"{URL}?{self.query(echostr=echostr, **kwargs)}")

    def post(self, body: str | bytes, *, token: str | None = None):
        return self.client.post(
            f"{URL}?{self.query(token=token)}", data=body, content_type="text/xml"
        )

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
