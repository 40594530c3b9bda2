"""Watching the running system (docs/operations.md, "Watching it"): a request id on every
request and every log line, one structured line per request, JSON logs, and the request
latency histogram of the Prometheus endpoint. No personal data: paths are logged
without their query strings, people by their id only, and every message goes through the
phone-masking filter of the logging configuration."""

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Histogram

REQUEST_ID_HEADER = "X-Request-ID"
# An id a proxy (nginx's $request_id) passes on is kept when it looks like one.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

REQUEST_SECONDS = Histogram(
    "utilitydesk_request_seconds",
    "Time to answer a request, by view (URL name), method and status class.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
requests_log = logging.getLogger("utilitydesk.requests")


def current_request_id() -> str:
    return _request_id.get()


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or "unnamed"


class RequestIdMiddleware:
    """Gives each request an id (the proxy's, or a new one), answers it in the
    X-Request-ID header, times the request for the histogram and logs one line."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _VALID_ID.match(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        began = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - began
            view = _view_name(request)
            REQUEST_SECONDS.labels(
                view, request.method, f"{response.status_code // 100}xx"
            ).observe(seconds)
            response[REQUEST_ID_HEADER] = request_id
            user = getattr(request, "user", None)
            requests_log.info(
                "request",
                extra={
                    "http": {
                        "method": request.method,
                        "path": request.path,
                        "view": view,
                        "status": response.status_code,
                        "ms": round(seconds * 1000, 1),
                        "user_id": user.pk if user is not None and user.is_authenticated else None,
                    }
                },
            )
            return response
        finally:
            _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, the
    request's fields for request lines, and the exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        http = getattr(record, "http", None)
        if http:
            entry["http"] = http
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
