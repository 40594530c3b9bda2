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


def test_a_token_the_server_calls_invalid_is_fetched_again_once(wechat):
    from django.core.cache import cache

    from utilitydesk.notifications.wechat import WeChatTemplateBackend

    backend = WeChatTemplateBackend()
    cache.set(backend._cache_key, "STALE-TOKEN", 3600)  # revoked on WeChat's side: 40001
    queue(["o-1"])
    assert deliver_due().sent == 1
    assert wechat.tokens_issued == 1 and cache.get(backend._cache_key) == "TOKEN1"


def test_a_refusal_is_a_failed_delivery_with_wechats_message(wechat):
    wechat.refuse["o-bad"] = 40003
    queue(["o-bad"])
    assert deliver_due().failed == 1
    failed = Message.objects.get(address="o-bad")
    assert failed.status == "failed" and failed.error_code == "40003"
    assert "refused" in failed.error


def test_customer_service_texts_and_the_menu_share_the_token(wechat):
    from utilitydesk.notifications.wechat import WeChatTemplateBackend

    backend = WeChatTemplateBackend()
    backend.send_text("o-1", "您好")
    backend.create_menu({"button": [{"type": "click", "name": "热线", "key": "HOTLINE"}]})
    assert wechat.tokens_issued == 1
    assert wechat.texts[0]["text"] == {"content": "您好"} and len(wechat.menus) == 1
