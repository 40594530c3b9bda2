"""A household signed in to /my/ binds the WeChat it uses, through WeChat's web-page
authorisation against the local WeChat API, so WeChat notices of its accounts reach it."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from utilitydesk.selfservice.models import Binding
from utilitydesk.selfservice.tests.conftest import ss_actor  # noqa: F401 - /my/ acts as it
from utilitydesk.wechat import households, oauth, selectors
from utilitydesk.wechat.models import Follower

EAST_PHONE, WEST_PHONE = "13612345678", "13787654321"


def signed_in(phone: str) -> Client:
    client = Client()
    session = client.session
    session[households.pages().session_key] = phone
    session.save()
    return client


@pytest.fixture
def homes(wechat_api, customers):
    Binding.objects.create(phone=EAST_PHONE, customer=customers["east"], proof="name")
    Binding.objects.create(phone=WEST_PHONE, customer=customers["west"], proof="bill")
    return {"east": signed_in(EAST_PHONE), "west": signed_in(WEST_PHONE)}


def start(client: Client) -> str:
    """Off to WeChat: returns the state WeChat will hand back."""
    response = client.get("/wechat/oauth/start/")
    assert response.status_code == 302
    address, fragment = response.url.split("#")
    parts = urlsplit(address)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == oauth.AUTHORIZE_URL
    assert fragment == "wechat_redirect"
    assert query["appid"] == "wxstub000000000000" and query["scope"] == "snsapi_base"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == "https://kf.example.cn/wechat/oauth/"
    assert query["state"].isalnum() and len(query["state"]) <= 128
    return query["state"]


def back_from_wechat(client: Client, wechat_api, openid: str, state: str, code: str = "C1"):
    wechat_api.codes[code] = openid
    return client.get("/wechat/oauth/", {"code": code, "state": state})


@pytest.mark.usefixtures("ss_actor")
def test_the_household_binds_its_wechat_and_notices_reach_it(homes, wechat_api, sender, customers):
    sender.event("o-east", "subscribe")
    east = homes["east"]
    page = east.get("/wechat/notices/").content.decode()
    assert "接收微信通知" in page and "/wechat/oauth/start/" in page
    response = back_from_wechat(east, wechat_api, "o-east", start(east))
    assert response.status_code == 302 and response.url == "/wechat/notices/"
    follower = Follower.objects.get(openid="o-east")
    assert list(follower.customers.all()) == [customers["east"]]
    assert follower.customer == customers["east"] and follower.phone == EAST_PHONE
    assert selectors.openids_for([customers["east"].pk, customers["west"].pk]) == [
        (customers["east"].pk, "o-east")
    ]
    page = east.get("/wechat/notices/").content.decode()
    assert "微信通知已开通" in page and "停止微信通知" in page
    # The /my/ home links to it.
    assert "/wechat/notices/" in east.get("/my/").content.decode()


def test_the_household_stops_wechat_notices(homes, wechat_api, sender, customers):
    sender.event("o-east", "subscribe")
    east = homes["east"]
    back_from_wechat(east, wechat_api, "o-east", start(east))
    response = east.post("/wechat/notices/stop/")
    assert response.status_code == 302
    follower = Follower.objects.get(openid="o-east")
    assert not follower.customers.exists() and follower.customer is None and not follower.phone
    assert selectors.openids_for([customers["east"].pk]) == []
    assert "已停止微信通知" in east.get("/wechat/notices/").content.decode()


@pytest.mark.usefixtures("ss_actor")
def test_removing_the_account_from_my_stops_its_notices(homes, wechat_api, sender, customers):
    sender.event("o-east", "subscribe")
    east = homes["east"]
    back_from_wechat(east, wechat_api, "o-east", start(east))
    east.post(f"/my/bind/{customers['east'].pk}/remove/")
    assert selectors.openids_for([customers["east"].pk]) == []
    assert not Follower.objects.get(openid="o-east").customers.exists()


@pytest.mark.parametrize(
    "state",
    ["", "forged", "a" * 82, "0" * 32 + "1790000000" + "0" * 40, "é" * 82],
)
def test_a_forged_state_is_refused(homes, wechat_api, state):
    east = homes["east"]
    start(east)
    response = back_from_wechat(east, wechat_api, "o-east", state)
    assert response.status_code == 400
    assert "链接已失效" in response.content.decode()
    assert not Follower.objects.exists()
    assert wechat_api.codes == {"C1": "o-east"}  # the code was never exchanged


def test_a_state_is_used_once_and_only_in_its_own_session(homes, wechat_api):
    east, west = homes["east"], homes["west"]
    state = start(east)
    # The west household's browser cannot use a state made for the east one (CSRF).
    start(west)
    assert back_from_wechat(west, wechat_api, "o-west", state).status_code == 400
    assert back_from_wechat(east, wechat_api, "o-east", state, code="C2").status_code == 302
    assert back_from_wechat(east, wechat_api, "o-east", state, code="C3").status_code == 400
    assert not Follower.objects.filter(openid="o-west").exists()


def test_an_old_state_is_refused():
    session: dict[str, str] = {}  # stands in for the session
    state = oauth.new_state(session, now=1_800_000_000)
    assert not oauth.take_state(session, state, now=1_800_000_000 + oauth.STATE_SECONDS + 1)
    state = oauth.new_state(session, now=1_800_000_000)
    assert oauth.take_state(session, state, now=1_800_000_000 + 30)


def test_a_failed_code_exchange_says_so(homes, wechat_api):
    east = homes["east"]
    state = start(east)
    response = east.get("/wechat/oauth/", {"code": "never-issued", "state": state}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and "微信未能确认您的身份（40029）" in page
    assert not Follower.objects.exists()


def test_a_follower_is_never_linked_to_another_households_account(homes, wechat_api, customers):
    east, west = homes["east"], homes["west"]
    back_from_wechat(west, wechat_api, "o-shared", start(west))
    assert list(Follower.objects.get(openid="o-shared").customers.all()) == [customers["west"]]
    # The same WeChat user signs in with the other number: only that number's accounts.
    back_from_wechat(east, wechat_api, "o-shared", start(east), code="C2")
    follower = Follower.objects.get(openid="o-shared")
    assert list(follower.customers.all()) == [customers["east"]]
    assert follower.phone == EAST_PHONE
    # Whatever the query string says, the accounts come from the signed-in number's bindings.
    wechat_api.codes["C3"] = "o-other"
    east.get(
        "/wechat/oauth/",
        {"code": "C3", "state": start(east), "customer": customers["west"].pk, "phone": WEST_PHONE},
    )
    assert list(Follower.objects.get(openid="o-other").customers.all()) == [customers["east"]]


def test_signed_out_households_are_sent_to_sign_in(wechat_api, db):
    client = Client()
    assert client.get("/wechat/notices/").url == "/my/sign-in/"
    assert client.get("/wechat/oauth/start/").url == "/my/sign-in/"
    assert client.post("/wechat/notices/stop/").url == "/my/sign-in/"


def test_a_household_without_accounts_binds_one_first(wechat_api, db):
    client = signed_in("13500000000")
    assert client.get("/wechat/oauth/start/").url == "/my/bind/"
