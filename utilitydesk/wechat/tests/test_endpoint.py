"""The server URL against a local sender that follows WeChat's protocol."""

import xml.etree.ElementTree as ET

import pytest

from utilitydesk.wechat.models import Follower, InboundMessage

from .sender import ACCOUNT, Sender


def reply_of(response) -> dict[str, str]:
    root = ET.fromstring(response.content)  # noqa: S314 - our own reply
    assert root.tag == "xml"
    return {child.tag: child.text or "" for child in root}


def test_the_server_url_is_verified_by_its_signature(sender):
    response = sender.verify("echo-4711")
    assert response.status_code == 200 and response.content == b"echo-4711"
    assert (
        sender.client.get("/wechat/?signature=x&timestamp=1&nonce=2&echostr=e").status_code == 403
    )
    assert sender.client.get("/wechat/?echostr=e").status_code == 403


def test_without_a_configured_token_nothing_is_accepted(settings, sender):
    settings.WECHAT = {**settings.WECHAT, "TOKEN": ""}
    assert Sender("").verify("e").status_code == 403


def test_a_text_waits_for_an_agent_and_repetitions_are_one_message(sender):
    responses = sender.text("o-li", "暖气不热，请派人看看", msg_id="6200000000000000001", repeats=3)
    assert [r.status_code for r in responses] == [200] * 4
    reply = reply_of(responses[0])
    assert reply["ToUserName"] == "o-li" and reply["FromUserName"] == ACCOUNT
    assert reply["MsgType"] == "text" and "客服" in reply["Content"]
    assert {reply_of(r)["Content"] for r in responses} == {reply["Content"]}
    message = InboundMessage.objects.get()
    assert message.type == "text" and message.content == "暖气不热，请派人看看"
    assert message.follower.openid == "o-li" and message.answered_at is None
    assert message.follower.last_message_at is not None


def test_subscribe_unsubscribe_and_the_menu_events(sender):
    created = 1_790_000_000
    first = sender.event("o-new", "subscribe", created=created)
    assert "欢迎" in reply_of(first)["Content"]
    sender.event("o-new", "subscribe", created=created)  # WeChat's repetition
    assert InboundMessage.objects.filter(type="event").count() == 1
    assert Follower.objects.get(openid="o-new").subscribed
    hotline = sender.event("o-new", "CLICK", "HOTLINE")
    assert "96300" in reply_of(hotline)["Content"]
    view = sender.event("o-new", "VIEW", "https://kf.example.cn/my/cases/")
    assert view.content == b"success"
    assert sender.event("o-new", "unsubscribe").content == b"success"
    follower = Follower.objects.get(openid="o-new")
    assert not follower.subscribed and follower.unsubscribed_at
    assert not InboundMessage.objects.filter(type="text").exists()


def test_a_picture_is_asked_to_be_written(sender):
    body = sender.xml("o-pic", "image", PicUrl="http://x/1.jpg", MediaId="m1", MsgId="77")
    response = sender.post(body)
    assert "文字" in reply_of(response)["Content"]
    assert InboundMessage.objects.get().type == "other"


def test_a_bad_signature_is_403_and_nothing_is_recorded(sender):
    body = sender.xml("o-li", "text", Content="hi", MsgId="1")
    assert sender.post(body, token="someone-else").status_code == 403
    assert sender.client.post("/wechat/", data=body, content_type="text/xml").status_code == 403
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "",
        "not xml at all",
        "<xml><ToUserName>gh</ToUserName>",
        "<other><ToUserName>gh</ToUserName></other>",
        "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>x</CreateTime>"
        "<MsgType>text</MsgType><MsgId>1</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>no id</Content></xml>",
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>",
        "<xml>" + "<a>1</a>" * 20000 + "</xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>"
        "<CreateTime>99999999999999999999999</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><MsgId>" + "9" * 200 + "</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><MsgId>²</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>" + "o" * 65 + "</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>",
    ],
)
def test_malformed_messages_are_400(sender, body):
    assert sender.post(body).status_code == 400
    assert not InboundMessage.objects.exists()


def test_other_methods_are_refused(sender):
    assert sender.client.put("/wechat/").status_code == 405
