import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_the_menu_links_the_customer_pages(wechat_api, db):
    out = StringIO()
    call_command("wechat_menu", stdout=out)
    assert wechat_api.menus == [json.loads(out.getvalue())]
    buttons = wechat_api.menus[0]["button"]
    links = {
        item["name"]: item.get("url") or item.get("key")
        for button in buttons
        for item in button.get("sub_button") or [button]
    }
    assert links["我要报修"] == "https://kf.example.cn/my/report/"
    assert links["我的工单"] == "https://kf.example.cn/my/cases/"
    assert links["停热公告"] == "https://kf.example.cn/my/interruptions/"
    assert links["我的账单"] == "https://kf.example.cn/my/bills/"
    assert links["客服电话"] == "HOTLINE"
    assert links["微信通知"] == "https://kf.example.cn/wechat/notices/"


def test_dry_run_and_missing_site_url(wechat_api, settings, db):
    call_command("wechat_menu", "--dry-run", "--site-url", "https://a.example/", stdout=StringIO())
    assert wechat_api.menus == []
    settings.WECHAT = {**settings.WECHAT, "SITE_URL": ""}
    with pytest.raises(CommandError):
        call_command("wechat_menu", stdout=StringIO())


def test_a_refused_menu_is_a_command_error(wechat_api, settings, db):
    settings.WECHAT = {**settings.WECHAT, "APP_SECRET": "wrong"}
    with pytest.raises(CommandError, match="40125"):
        call_command("wechat_menu", stdout=StringIO())
