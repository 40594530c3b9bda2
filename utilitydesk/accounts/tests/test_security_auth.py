"""Issue 10, findings 1, 12 and the sign-in parts of 16: one lockout for every way in,
expiring and revocable API tokens, and a password page for everybody."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from utilitydesk.accounts.models import ApiToken, LoginFailure

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
TOKEN_URL = "/api/v1/auth/token/"
LOOKUP_URL = "/api/v1/customers/lookup/"


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """The token endpoint's flood throttle lives in the cache; these tests are about the
    lockout, so it is set out of the way."""
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "1000/min"}
    cache.clear()
    yield
    cache.clear()


def obtain(username="agent", password=PASSWORD, address="127.0.0.1"):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=address
    )


def web_login(client, username="agent", password=PASSWORD, address="127.0.0.1"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def lookup(key: str):
    return with_token(key).get(LOOKUP_URL, {"phone": "13812345678"})


# --- Finding 1: one lockout for web, admin and API token ------------------------------------


def test_api_token_is_refused_after_30_wrong_passwords(people):
    statuses = [obtain(password=f"wrong-{n}").status_code for n in range(30)]
    # The fifth failure trips the lock and already says so.
    assert statuses[:4] == [400] * 4 and set(statuses[4:]) == {429}
    response = obtain()
    assert response.status_code == 429
    body = response.json()
    assert body["error"]["code"] == "sign_in_locked" and "token" not in body
    assert "登录失败次数过多" in body["error"]["message"]
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert not ApiToken.objects.exists()


def test_admin_login_is_locked_after_12_wrong_passwords(people, client):
    for n in range(12):
        client.post("/admin/login/", {"username": "admin", "password": f"wrong-{n}"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 200  # not the redirect into the admin
    assert "登录失败次数过多" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_locked_on_the_web_gets_no_api_token(people, client):
    for n in range(5):
        web_login(client, password=f"wrong-{n}")
    assert "登录失败次数过多" in web_login(client).content.decode()
    assert obtain().status_code == 429


def test_failures_on_every_way_in_count_together(people, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    web_login(client, password="wrong-web")
    client.post("/admin/login/", {"username": "agent", "password": "wrong-admin"})
    assert obtain(password="wrong-api").status_code == 429  # the third failure locks
    assert LoginFailure.objects.filter(username="agent").count() == 3
    assert web_login(client).status_code == 200  # locked, the right password notwithstanding


def test_a_name_cannot_dodge_the_count_by_changing_case(people):
    for n in range(5):
        obtain(username="AGENT" if n % 2 else "Agent", password=f"wrong-{n}")
    assert obtain().status_code == 429


def test_a_successful_sign_in_resets_only_its_own_address(people, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for n in range(2):
        obtain(password=f"wrong-{n}", address="10.9.9.9")
    assert web_login(client, address="10.0.0.1").status_code == 302
    assert obtain(password="wrong-2", address="10.9.9.9").status_code == 429


# --- Finding 16: the lockout cannot be used to lock others out -----------------------------


def test_a_colleague_cannot_lock_you_out_from_another_address(people, client):
    desk, elsewhere = "10.0.0.1", "10.0.0.99"
    assert web_login(client, address=desk).status_code == 302  # the address agent works at
    client.logout()
    for n in range(10):
        obtain(password=f"guess-{n}", address=elsewhere)
    assert obtain(address=elsewhere).status_code == 429  # the guesser is locked out
    for n in range(30):  # from many addresses, past the per-name threshold (20)
        obtain(password=f"guess-{n}", address=f"10.0.2.{n}")
    assert web_login(client, address=desk).status_code == 302  # agent is not
    assert obtain(address=desk).status_code == 200
    # From an address agent never signed in from, the per-name threshold does apply.
    assert obtain(address="10.0.0.2").status_code == 429


def test_one_person_behind_the_hotline_nat_cannot_lock_out_the_rest(people, client, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 10
    nat = "10.1.1.1"
    for name in ("agent", "office"):
        assert obtain(username=name, address=nat).status_code == 200
    for n in range(12):  # a password spray over many names, each below the per-name limits
        obtain(username=f"someone{n}", password="123456", address=nat)
    assert obtain(username="agent", address=nat).status_code == 200
    assert web_login(client, username="office", address=nat).status_code == 302
    # A name that never signed in from that address is held back by the address threshold.
    assert obtain(username="tech", address=nat).status_code == 429
    assert obtain(username="tech", address="10.1.1.2").status_code == 200


def test_a_few_typos_behind_the_nat_lock_out_only_the_one_who_made_them(people):
    nat = "10.1.1.1"
    for n in range(5):
        obtain(username="agent", password=f"typo-{n}", address=nat)
    assert obtain(username="agent", address=nat).status_code == 429
    assert obtain(username="office", address=nat).status_code == 200


# --- Finding 12: tokens expire, die with a password change or deactivation, can be revoked --


def test_obtained_token_works_and_only_its_hash_is_stored(people, customers):
    response = obtain()
    assert response.status_code == 200
    key = response.json()["token"]
    assert lookup(key).status_code == 200
    stored = ApiToken.objects.get()
    assert key not in (stored.key_hash, stored.fingerprint) and stored.prefix == key[:8]
    assert stored.created_from == "127.0.0.1" and stored.last_used_at is not None


def test_token_older_than_its_lifetime_is_refused(people, customers, settings, monkeypatch):
    settings.API_TOKEN_TTL_HOURS = 12
    response = obtain()
    key = response.json()["token"]
    expires_at = parse_datetime(response.json()["expires_at"])
    assert abs(expires_at - (timezone.now() + timedelta(hours=12))) < timedelta(minutes=1)
    assert lookup(key).status_code == 200
    later = timezone.now() + timedelta(hours=12, minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    refused = lookup(key)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_token_is_refused_after_the_user_changes_the_password_on_the_web(people, customers, client):
    key = obtain().json()["token"]
    client.force_login(people["agent"])
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Heating-2026-winter",
            "new_password2": "Heating-2026-winter",
        },
    )
    assert response.status_code == 302
    assert lookup(key).status_code == 401
    assert not ApiToken.objects.filter(user=people["agent"]).exists()


def test_token_is_refused_after_a_password_change_by_any_other_path(people, customers):
    key = obtain().json()["token"]
    user = get_user_model().objects.get(username="agent")
    user.set_password("Set-by-the-administrator-1")  # admin form, changepassword command
    user.save()
    assert lookup(key).status_code == 401


def test_token_is_refused_after_deactivation(people, customers):
    key = obtain().json()["token"]
    user = get_user_model().objects.get(username="agent")
    user.is_active = False
    user.save()
    assert lookup(key).status_code == 401


def admin_change_user(client, user, *, active: bool):
    now = timezone.localtime()
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_staff": "on" if user.is_staff else "",
        "last_login_0": now.date().isoformat(),
        "last_login_1": "08:00:00",
        "date_joined_0": now.date().isoformat(),
        "date_joined_1": "08:00:00",
    }
    if active:
        data["is_active"] = "on"
    return client.post(f"/admin/auth/user/{user.pk}/change/", data)


def test_deactivation_in_the_admin_revokes_tokens_for_good(people, customers, client):
    key = obtain().json()["token"]
    root = get_user_model().objects.create_superuser("root", password="Root-pw-for-tests-1")
    client.force_login(root)
    agent = people["agent"]
    assert admin_change_user(client, agent, active=False).status_code == 302
    assert lookup(key).status_code == 401
    assert admin_change_user(client, agent, active=True).status_code == 302
    assert get_user_model().objects.get(pk=agent.pk).is_active
    assert lookup(key).status_code == 401


def test_an_api_client_revokes_its_own_token(people, customers):
    key = obtain().json()["token"]
    assert with_token(key).delete(TOKEN_URL).status_code == 204
    assert lookup(key).status_code == 401


def test_an_expired_token_in_the_header_does_not_stop_getting_a_new_one(people):
    client = with_token("0" * 40)
    response = client.post(TOKEN_URL, {"username": "agent", "password": PASSWORD})
    assert response.status_code == 200 and set(response.json()) == {"token", "expires_at"}


def test_a_user_lists_and_revokes_own_tokens_on_their_page(people, customers, client):
    first, second = obtain().json()["token"], obtain().json()["token"]
    someone_elses = obtain(username="office").json()["token"]
    client.force_login(people["agent"])
    page = client.get("/accounts/tokens/").content.decode()
    assert "我的 API 令牌" in page and first[:8] in page and second[:8] in page
    assert someone_elses[:8] not in page
    token = ApiToken.objects.get(prefix=first[:8])
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    assert lookup(first).status_code == 401 and lookup(second).status_code == 200
    other = ApiToken.objects.get(prefix=someone_elses[:8])
    client.post(f"/accounts/tokens/{other.pk}/revoke/")
    assert ApiToken.objects.filter(pk=other.pk).exists()
    client.post("/accounts/tokens/revoke-all/")
    assert lookup(second).status_code == 401
    assert "您没有 API 令牌" in client.get("/accounts/tokens/").content.decode()


def test_tokens_per_user_are_capped(people, settings):
    settings.API_TOKENS_PER_USER = 3
    keys = [obtain().json()["token"] for _ in range(5)]
    assert ApiToken.objects.filter(user=people["agent"]).count() == 3
    assert lookup(keys[0]).status_code == 401 and lookup(keys[-1]).status_code != 401


# --- Finding 16: every signed-in user can change their own password --------------------------


def test_a_non_staff_user_changes_their_own_password_from_the_header(people, client):
    assert not people["agent"].is_staff
    client.force_login(people["agent"])
    home = client.get("/").content.decode()
    assert 'href="/accounts/password/"' in home and "修改密码" in home
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Heating-2026-winter",
            "new_password2": "Heating-2026-winter",
        },
        follow=True,
    )
    assert "您的密码已修改" in response.content.decode()
    assert response.context["user"].is_authenticated  # still signed in on this browser
    client.logout()
    assert web_login(client, password="Heating-2026-winter").status_code == 302


def test_wrong_old_password_is_a_form_error(people, client):
    client.force_login(people["agent"])
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password1": "Heating-2026-x",
            "new_password2": "Heating-2026-x",
        },
    )
    assert response.status_code == 200 and "has-error" in response.content.decode()


def test_minting_tokens_is_throttled_per_name_and_address_not_per_address(people, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "token": "2/min"}
    assert [obtain().status_code for _ in range(3)] == [200, 200, 429]
    assert obtain(username="office").status_code == 200  # a colleague behind the same NAT
