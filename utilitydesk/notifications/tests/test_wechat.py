"""WeChat official-account template messages against the local WeChat API."""

import pytest
from django.utils import timezone

from utilitydesk.notifications.delivery import deliver_due
from utilitydesk.notifications.models import Message, NoticeTemplate
from utilitydesk.notifications.services import queue_customer_notices
from utilitydesk.notifications.testing import WeChatStub


@pytest.fixture
def wechat(settings, db):
    NoticeTemplate.objects.create(
        code="outage_wechat",
        name="停热通知（微信）",
        channel="wechat",
        provider_template_id="TPL-outage",
        text="尊敬的用户：{thing1}暂停供热，预计{time2}恢复。",
    )
    with WeChatStub() as stub:
        settings.NOTIFICATION_BACKENDS = {
            **settings.NOTIFICATION_BACKENDS,
            "wechat": "utilitydesk.notifications.wechat.WeChatTemplateBackend",
        }
        settings.WECHAT = stub.settings()
        yield stub


def queue(openids):
    return queue_customer_notices(
        reference="interruption:8",
        event_key="announced",
        template_code="outage_wechat",
        params={"thing1": "城东3号楼", "time2": "12月3日18:00"},
        recipients=[(i, openid) for i, openid in enumerate(openids)],
        actor=None,
        now=timezone.now(),
    )


def test_template_messages_with_a_cached_token(wechat):
    wechat.refuse["o-unfollowed"] = 43004
    queue(["o-1", "o-2", "o-unfollowed"])
    result = deliver_due()
    assert (result.sent, result.failed) == (2, 1)
    assert wechat.tokens_issued == 1  # fetched once, cached for every message
    first = wechat.sent[0]
    assert first["touser"] == "o-1" and first["template_id"] == "TPL-outage"
    assert first["data"] == {"thing1": {"value": "城东3号楼"}, "time2": {"value": "12月3日18:00"}}
    sent = Message.objects.get(address="o-1")
    assert sent.channel == "wechat" and sent.status == "sent" and sent.provider_id
    assert Message.objects.get(address="o-unfollowed").error_code == "43004"


def test_an_expired_token_is_fetched_again(wechat):
    queue(["o-1"])
    deliver_due()
    wechat.expire_tokens = 1
    queue_customer_notices(
        reference="interruption:8",
        event_key="restored",
        template_code="outage_wechat",
        params={"thing1": "城东3号楼", "time2": "12月3日17:00"},
        recipients=[(1, "o-1")],
        actor=None,
        now=timezone.now(),
    )
    assert deliver_due().sent == 1
    assert wechat.tokens_issued == 2
    assert len(wechat.sent) == 2
