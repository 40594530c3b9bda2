"""What a failed request to a message provider means for the message (transport.exchange):
an unreachable provider and a gateway's error are retried; a lost answer may mean it was
sent, so it is not sent again blindly."""

import socket
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from utilitydesk.notifications import transport


class Provider(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/slow":
            time.sleep(2)
        if self.path == "/gateway":
            self.send_response(502)
            self.end_headers()
            self.wfile.write(b"bad gateway")
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def post(url: str) -> urllib.request.Request:
    return urllib.request.Request(url, data=b"{}", method="POST")


def test_an_answer_comes_back(provider):
    assert transport.exchange(post(f"{provider}/send"), 5) == b'{"ok": true}'


def test_a_gateway_error_is_retried(provider):
    with pytest.raises(transport.TransportError) as failed:
        transport.exchange(post(f"{provider}/gateway"), 5)
    assert failed.value.code == "HTTP502" and failed.value.retryable
    assert not failed.value.unknown and "bad gateway" in failed.value.message


def test_an_unreachable_provider_is_retried():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with pytest.raises(transport.TransportError) as failed:
        transport.exchange(post(f"http://127.0.0.1:{port}/send"), 5)
    assert failed.value.code == transport.UNREACHABLE and failed.value.retryable


def test_a_lost_answer_may_have_been_sent_and_is_not_retried_blindly(provider):
    with pytest.raises(transport.TransportError) as failed:
        transport.exchange(post(f"{provider}/slow"), 0.3)
    assert failed.value.code == transport.NO_ANSWER
    assert failed.value.unknown and not failed.value.retryable
