import pytest

from utilitydesk.notifications.testing import WeChatStub

from .sender import Sender

TOKEN = "wechat-test-token"  # noqa: S105 - the test account's own token


@pytest.fixture
def wechat_api(settings):
    with WeChatStub() as stub:
        settings.WECHAT = stub.settings(TOKEN=TOKEN, SITE_URL="https://kf.example.cn")
        yield stub


@pytest.fixture
def sender(wechat_api, db):
    return Sender(TOKEN)
