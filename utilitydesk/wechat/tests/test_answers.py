"""Agents answer the texts followers wrote: the contact through the cases intake and the
customer-service message through the local WeChat API."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.models import Channel, Contact, Kind
from utilitydesk.wechat import services
from utilitydesk.wechat.models import Follower, InboundMessage


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_agent_answers_and_the_answer_is_a_wechat_contact(sender, wechat_api, people):
    sender.text("o-li", "暖气不热", repeats=2)
    sender.text("o-li", "三单元502")
    follower = Follower.objects.get(openid="o-li")
    agent = web(people["agent"])
    page = agent.get("/wechat/messages/").content.decode()
    assert "暖气不热" in page and "三单元502" in page and "1 位用户等待答复" in page
    first = InboundMessage.objects.order_by("received_at").first()
    response = agent.post(
        f"/wechat/messages/{follower.pk}/reply/",
        {"kind": "consultation", "text": "已通知城东供热所，今天下午上门。"},
    )
    assert response.status_code == 302
    assert wechat_api.texts == [
        {
            "touser": "o-li",
            "msgtype": "text",
            "text": {"content": "已通知城东供热所，今天下午上门。"},
        }
    ]
    contact = Contact.objects.get()
    assert contact.channel == Channel.WECHAT and contact.kind == Kind.CONSULTATION
    assert contact.closed_on_spot and contact.answer == "已通知城东供热所，今天下午上门。"
    assert contact.content == "暖气不热\n三单元502" and contact.case is None
    assert contact.first_responder == people["agent"] and contact.received_at == first.received_at
    assert contact.caller_name == "微信用户" and contact.caller_phone == ""
    assert set(InboundMessage.objects.values_list("contact_id", flat=True)) == {contact.pk}
    assert "没有等待答复的微信留言" in agent.get("/wechat/messages/").content.decode()


def test_a_bound_follower_is_the_customers_contact(sender, wechat_api, people, customers):
    services.link_follower("o-lei", customer_id=customers["east"].pk, phone="13812345678")
    sender.text("o-lei", "这个月的账单是多少")
    agent = web(people["agent"])
    page = agent.get("/wechat/messages/").content.decode()
    assert "李雷" in page
    assert AccessLog.objects.filter(customer=customers["east"], actor=people["agent"]).exists()
    follower = Follower.objects.get(openid="o-lei")
    contact = services.answer(
        follower.pk, services.Answer("请在我的账单中查看。", Kind.FEE), actor=people["agent"]
    )
    assert contact.customer == customers["east"] and contact.kind == Kind.FEE


def test_no_answer_after_48_hours_or_twice(sender, wechat_api, people):
    sender.text("o-old", "你好")
    follower = Follower.objects.get(openid="o-old")
    later = timezone.now() + timedelta(hours=49)
    with pytest.raises(ValidationError, match="48"):
        services.answer(follower.pk, services.Answer("您好"), actor=people["agent"], now=later)
    assert wechat_api.texts == [] and not Contact.objects.exists()
    agent = web(people["agent"])
    url = f"/wechat/messages/{follower.pk}/reply/"
    assert agent.post(url, {"kind": "consultation", "text": "您好"}).status_code == 302
    second = agent.post(url, {"kind": "consultation", "text": "您好"}, follow=True)
    assert "已答复" in second.content.decode()
    assert len(wechat_api.texts) == 1 and Contact.objects.count() == 1


def test_past_48_hours_the_agent_calls_and_records_the_answer(sender, wechat_api, people):
    sender.text("o-old", "家里暖气漏水了")
    follower = Follower.objects.get(openid="o-old")
    later = timezone.now() + timedelta(hours=50)
    told = services.Answer("已电话联系，明天上门。", by_phone=True)
    contact = services.answer(follower.pk, told, actor=people["agent"], now=later)
    assert contact.answer == "已电话联系，明天上门。" and contact.channel == Channel.WECHAT
    assert contact.received_at < later - timedelta(hours=49)  # when the follower wrote
    assert wechat_api.texts == [] and InboundMessage.objects.get().answered_at == later
    page = web(people["agent"]).post(
        f"/wechat/messages/{follower.pk}/reply/",
        {"kind": "consultation", "text": "x", "by_phone": "1"},
        follow=True,
    )
    assert "已答复" in page.content.decode()


def test_what_wechat_refuses_or_the_phrase_check_refuses_is_not_recorded(
    sender, wechat_api, people
):
    sender.text("o-gone", "在吗")
    follower = Follower.objects.get(openid="o-gone")
    wechat_api.refuse["o-gone"] = 45015  # the 48-hour window closed on WeChat's side
    agent = web(people["agent"])
    page = agent.post(
        f"/wechat/messages/{follower.pk}/reply/",
        {"kind": "consultation", "text": "在的"},
        follow=True,
    ).content.decode()
    assert "45015" in page
    assert not Contact.objects.exists()
    assert InboundMessage.objects.get().answered_at is None
    del wechat_api.refuse["o-gone"]
    page = agent.post(
        f"/wechat/messages/{follower.pk}/reply/",
        {"kind": "consultation", "text": "你问我，我问谁？"},
        follow=True,
    ).content.decode()
    assert not Contact.objects.exists() and wechat_api.texts == []
    for bad in ({"kind": "repair", "text": "好"}, {"kind": "consultation", "text": ""}):
        agent.post(f"/wechat/messages/{follower.pk}/reply/", bad)
    assert not Contact.objects.exists() and wechat_api.texts == []


def test_an_expired_token_is_fetched_again_for_an_answer(sender, wechat_api, people):
    sender.text("o-li", "你好")
    follower = Follower.objects.get(openid="o-li")
    services.answer(follower.pk, services.Answer("您好，请讲。"), actor=people["agent"])
    wechat_api.expire_tokens = 1
    sender.text("o-li", "暖气不热")
    services.answer(follower.pk, services.Answer("马上安排。"), actor=people["agent"])
    assert wechat_api.tokens_issued == 2 and len(wechat_api.texts) == 2


def test_only_people_who_record_contacts_see_and_answer(sender, wechat_api, people):
    sender.text("o-li", "你好")
    follower = Follower.objects.get(openid="o-li")
    tech = web(people["tech"])
    assert tech.get("/wechat/messages/").status_code == 403
    assert tech.post(f"/wechat/messages/{follower.pk}/reply/", {"text": "好"}).status_code == 403
    assert Client().get("/wechat/messages/").status_code == 302
    assert not Contact.objects.exists()
