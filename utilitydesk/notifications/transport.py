"""One HTTP request to a message provider (Tencent Cloud SMS, WeChat), and what a failure
of the transport means for the message: worth retrying, or perhaps delivered already."""

import http.client
import socket
import urllib.error
import urllib.request

# The answer was lost: the provider may have acted on the request.
NO_ANSWER = "UtilityDesk.NoAnswer"
# Refused, unknown host, no route: the request never reached the provider.
UNREACHABLE = "UtilityDesk.ProviderUnreachable"


class TransportError(Exception):
    """``retryable``: sending again is safe; ``unknown``: the provider may have sent it."""

    def __init__(self, code: str, message: str, *, retryable: bool, unknown: bool = False):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message
        self.retryable, self.unknown = retryable, unknown


def exchange(request: urllib.request.Request, timeout: float) -> bytes:
    """The answer's body, or TransportError."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # nosec B310 - the configured provider
            return reply.read()
    except urllib.error.HTTPError as error:
        # The providers answer their own errors with 200; another status is a gateway's.
        text = error.read()[:500].decode("utf-8", "replace") or "gateway error"
        raise TransportError(f"HTTP{error.code}", text, retryable=True) from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError | socket.timeout):
            raise TransportError(
                NO_ANSWER, "timed out waiting for the provider", retryable=False, unknown=True
            ) from error
        raise TransportError(UNREACHABLE, str(error.reason), retryable=True) from error
    except (OSError, http.client.HTTPException) as error:
        raise TransportError(
            NO_ANSWER, str(error) or type(error).__name__, retryable=False, unknown=True
        ) from error
