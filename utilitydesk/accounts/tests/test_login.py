import pytest

pytestmark = pytest.mark.django_db


def login(client, password):
    return client.post("/accounts/login/", {"username": "agent", "password": password})


def test_login_works_and_lands_on_the_chinese_home(people, client):
    response = login(client, "pw-for-tests-1")
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "王小明，您好" in page and "客户档案" in page


def test_locked_after_repeated_failures_even_with_the_right_password(people, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert login(client, "wrong").status_code == 200
    response = login(client, "pw-for-tests-1")
    assert response.status_code == 200
    assert "登录失败次数过多" in response.content.decode()


def test_success_clears_earlier_failures(people, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    login(client, "wrong")
    login(client, "wrong")
    assert login(client, "pw-for-tests-1").status_code == 302
    client.logout()
    login(client, "wrong")
    assert login(client, "pw-for-tests-1").status_code == 302


def test_pages_need_login(client):
    response = client.get("/customers/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
