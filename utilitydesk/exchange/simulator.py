"""A local stand-in for the city's 12345 platform (docs/exchange-12345.md), for tests and
the demo: an HTTP server in a thread that takes our sign, return, extension and result
calls (checking their signature, treating a repeated message id as the same message), and
a sender that posts orders and events to our inbound endpoints, signed. It can drop the
connection in the middle of a call, after reading the body, as a failing network does."""

import json
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from .adapters import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, signed_headers

ACTIONS = ("sign", "return", "extension", "result")

# (path, body, headers) -> (status, parsed answer)
Transport = Callable[[str, bytes, dict[str, str]], tuple[int, Any]]


@dataclass
class Platform:
    """What the platform has taken: per action, the message ids per order (a repeat of a
    message id is counted once), every call as it came, and the calls to drop."""

    secret: str
    messages: dict[str, dict[str, set[str]]] = field(
        default_factory=lambda: {a: defaultdict(set) for a in ACTIONS}
    )
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    bad_signatures: int = 0
    drop: dict[str, int] = field(default_factory=dict)  # action -> calls left to drop
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, action: str, order_no: str, body: bytes, headers: Any) -> int:
        stamp = headers.get(TIMESTAMP_HEADER, "")
        if signature(self.secret, stamp, body) != headers.get(SIGNATURE_HEADER, ""):
            with self.lock:
                self.bad_signatures += 1
            return 401
        message = json.loads(body)
        with self.lock:
            self.calls.append((action, order_no, message["message_id"]))
            self.messages[action][order_no].add(message["message_id"])
        return 200

    def should_drop(self, action: str) -> bool:
        with self.lock:
            if self.drop.get(action, 0) > 0:
                self.drop[action] -= 1
                return True
        return False


def _handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = self.path.strip("/").split("/")
            if platform.down:
                self.close_connection = True
                self.connection.close()
                return
            if len(parts) != 3 or parts[0] != "orders" or parts[2] not in ACTIONS:
                self._answer(404, {"ok": False, "error": "unknown path"})
                return
            status = platform.take(parts[2], parts[1], body, self.headers)
            if status == 200 and platform.should_drop(parts[2]):
                # Taken, but the answer never comes: the sender must try again.
                self.close_connection = True
                self.connection.close()
                return
            self._answer(status, {"ok": status == 200})

        def _answer(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


class Server:
    """The platform listening on 127.0.0.1 (a free port unless given), in a thread."""

    def __init__(self, secret: str, port: int = 0):
        self.platform = Platform(secret=secret)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _handler(self.platform))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> "Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the platform's calls to us ------------------------------------------------------------


def http_transport(base_url: str) -> Transport:
    """Post to a running UtilityDesk (the demo)."""

    def post(path: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        answer = requests.post(base_url.rstrip("/") + path, data=body, headers=headers, timeout=30)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, answer.text

    return post


ORDERS_PATH = "/api/v1/exchange/12345/orders/"
EVENTS_PATH = "/api/v1/exchange/12345/events/"

TOPICS = [
    ("help", "暖气不热", "家中暖气片不热，室温约15度，请尽快处理。"),
    ("help", "管道漏水", "楼道内供热管道漏水，请派人维修。"),
    ("consult", "供暖时间咨询", "请问今年供暖什么时候开始、什么时候结束？"),
    ("complaint", "维修人员未按约上门", "约好的维修人员没有上门，也没有打电话。"),
    ("suggestion", "建议延长供暖期", "天气冷，建议提前供暖。"),
    ("consult", "热费标准咨询", "请问居民供暖费每平方米多少钱？"),
]


@dataclass
class Sender:
    """Sends orders and events to us as the platform does, signed with the secret."""

    secret: str
    transport: Transport
    answers: list[tuple[str, int, Any]] = field(default_factory=list)

    def _send(self, path: str, payload: dict[str, Any]) -> tuple[int, Any]:
        body = json.dumps(payload, ensure_ascii=False).encode()
        status, answer = self.transport(path, body, signed_headers(self.secret, body))
        self.answers.append((path, status, answer))
        return status, answer

    def order(self, payload: dict[str, Any]) -> tuple[int, Any]:
        return self._send(ORDERS_PATH, payload)

    def event(self, payload: dict[str, Any]) -> tuple[int, Any]:
        return self._send(EVENTS_PATH, payload)


def make_orders(
    count: int, start: datetime, *, seed: int = 12345, phones: list[str] | None = None
) -> list[dict[str, Any]]:
    """``count`` distinct orders, a minute apart, with made-up callers (or ``phones``)."""
    orders = []
    for n in range(count):
        category, title, content = TOPICS[n % len(TOPICS)]
        phone = (
            phones[n % len(phones)] if phones else f"139{(seed * 7919 + n * 104729) % 10**8:08d}"
        )
        orders.append(
            {
                "order_no": f"SZ{start:%Y%m%d}{n + 1:06d}",
                "category": category,
                "title": title,
                "content": content,
                "caller_name": f"市民{n + 1}",
                "caller_phone": phone,
                "address": f"临河区幸福小区{n % 30 + 1}号楼{n % 6 + 1}单元{n % 20 + 101}室",
                "transferred_at": (start + timedelta(minutes=n)).isoformat(),
            }
        )
    return orders


def urge(order_no: str, n: int, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"U-{order_no}-{n}",
        "order_no": order_no,
        "type": "urge",
        "at": at.isoformat(),
        "text": "市民再次来电催促，请尽快办理。",
    }


def verdict(order_no: str, value: str, at: datetime) -> dict[str, Any]:
    return {
        "event_id": f"V-{order_no}",
        "order_no": order_no,
        "type": "verdict",
        "at": at.isoformat(),
        "verdict": value,
        "text": "",
    }
