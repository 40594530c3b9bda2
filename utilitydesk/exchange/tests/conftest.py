import pytest

from utilitydesk.exchange import simulator

from .support import SECRET


@pytest.fixture
def exchange(settings, people):
    settings.EXCHANGE_12345_SECRET = SECRET
    settings.EXCHANGE_12345_RETRY_BASE_SECONDS = 30
    settings.EXCHANGE_12345_MAX_ATTEMPTS = 4
    settings.EXCHANGE_12345_DEAD_AFTER_FAILURES = 3
    settings.EXCHANGE_12345_TIMEOUT_SECONDS = 5
    with simulator.Server(SECRET) as server:
        settings.EXCHANGE_12345_BASE_URL = server.url
        yield server
