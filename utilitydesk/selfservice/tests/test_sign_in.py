"""Sign-in by texted code: the code is stored only as a digest, expires, allows a few
tries, and codes are limited per number and per address."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from utilitydesk.notifications.models import Message
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import SignInCode

from .conftest import PHONE, last_code, sign_in

pytestmark = pytest.mark.django_db


def test_a_code_signs_the_number_in_and_is_never_stored_in_clear(client, texts, ss_actor):
    response = client.post("/my/sign-in/", {"step": "phone", "phone": "136 1234 5678"})
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    code = last_code(texts)
    row = SignInCode.objects.get(phone=PHONE)
    assert code not in row.digest
    message = Message.objects.get(address=PHONE)
    assert code not in message.body and "******" in message.body
    response = client.post("/my/sign-in/", {"step": "code", "phone": PHONE, "code": code})
    assert response.status_code == 302
    assert client.session["selfservice_phone"] == PHONE
    assert "_auth_user_id" not in client.session  # not a staff sign-in
    assert client.get("/my/").status_code == 200
    # Used once.
    client.post("/my/sign-out/")
    response = client.post("/my/sign-in/", {"step": "code", "phone": PHONE, "code": code})
    assert response.status_code == 200 and "selfservice_phone" not in client.session


def test_pages_need_a_signed_in_number(client, ss_actor):
    for path in ("/my/", "/my/cases/", "/my/bills/", "/my/report/", "/my/bind/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/my/sign-in/"
    assert client.get("/my/faq/").status_code == 200


def test_wrong_codes_kill_the_code(texts, ss_actor, settings):
    now = timezone.now()
    services.request_code(PHONE, ip_address="10.0.0.1", now=now)
    code = last_code(texts)
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(settings.SELFSERVICE_CODE_MAX_ATTEMPTS):
        with pytest.raises(ValidationError, match="wrong"):
            services.verify_code(PHONE, wrong, now=now)
    with pytest.raises(ValidationError, match="Too many"):
        services.verify_code(PHONE, code, now=now)  # even the right one, now


def test_an_expired_code_is_refused(texts, ss_actor):
    now = timezone.now()
    services.request_code(PHONE, ip_address=None, now=now)
    with pytest.raises(ValidationError, match="expired"):
        services.verify_code(PHONE, last_code(texts), now=now + timedelta(minutes=5, seconds=1))


def test_only_the_latest_code_counts(texts, ss_actor):
    now = timezone.now()
    services.request_code(PHONE, ip_address=None, now=now)
    first = last_code(texts)
    services.request_code(PHONE, ip_address=None, now=now + timedelta(minutes=2))
    second = last_code(texts)
    if first != second:
        with pytest.raises(ValidationError):
            services.verify_code(PHONE, first, now=now + timedelta(minutes=2))
    assert services.verify_code(PHONE, second, now=now + timedelta(minutes=2)) == PHONE


def test_codes_are_limited_per_number_and_per_address(texts, ss_actor, settings):
    now = timezone.now()
    services.request_code(PHONE, ip_address="10.0.0.1", now=now)
    with pytest.raises(ValidationError, match="just sent"):
        services.request_code(PHONE, ip_address="10.0.0.1", now=now + timedelta(seconds=10))
    for i in range(1, settings.SELFSERVICE_CODES_PER_PHONE_PER_HOUR):
        services.request_code(PHONE, ip_address="10.0.0.1", now=now + timedelta(minutes=2 * i))
    with pytest.raises(ValidationError, match="Too many codes for this number"):
        services.request_code(PHONE, ip_address="10.0.0.2", now=now + timedelta(minutes=30))
    # An hour later the number may ask again.
    services.request_code(PHONE, ip_address="10.0.0.2", now=now + timedelta(minutes=61))

    settings.SELFSERVICE_CODES_PER_ADDRESS_PER_HOUR = 3
    for i in range(3):
        services.request_code(f"1390000000{i}", ip_address="10.9.9.9", now=now)
    with pytest.raises(ValidationError, match="this network"):
        services.request_code("13900000009", ip_address="10.9.9.9", now=now)
    assert len(texts) == settings.SELFSERVICE_CODES_PER_PHONE_PER_HOUR + 1 + 3


def test_bad_input_is_a_form_error_that_keeps_what_was_typed(client, texts, ss_actor):
    response = client.post("/my/sign-in/", {"step": "phone", "phone": "12345"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="12345"' in body and 'class="error"' in body
    response = client.post("/my/sign-in/", {"step": "code", "phone": PHONE, "code": "12ab"})
    assert response.status_code == 200 and 'value="12ab"' in response.content.decode()
    assert not texts


def test_sign_out_forgets_the_number(client, texts, ss_actor):
    sign_in(client, texts)
    assert client.post("/my/sign-out/").status_code == 302
    assert client.get("/my/").status_code == 302


def test_the_customer_session_adds_nothing_to_staff_pages(client, texts, ss_actor):
    sign_in(client, texts)
    response = client.get("/cases/")
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert client.get("/api/v1/cases/").status_code in (401, 403)


def test_signing_in_changes_the_session_key(client, texts, ss_actor):
    client.get("/my/sign-in/")
    client.post("/my/sign-in/", {"step": "phone", "phone": PHONE})
    before = client.session.session_key
    assert before
    response = client.post(
        "/my/sign-in/", {"step": "code", "phone": PHONE, "code": last_code(texts)}
    )
    assert response.status_code == 302
    assert client.session.session_key != before


def test_the_code_sent_message_masks_the_number(client, texts, ss_actor):
    response = client.post("/my/sign-in/", {"step": "phone", "phone": PHONE})
    shown = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "136****5678" in shown and PHONE not in shown


def test_a_text_that_could_not_be_sent_is_said(client, ss_actor, settings):
    settings.NOTIFICATION_BACKENDS = {**settings.NOTIFICATION_BACKENDS, "sms": ""}
    with pytest.raises(ValidationError, match="could not be sent"):
        services.request_code(PHONE, ip_address=None)
    response = client.post("/my/sign-in/", {"step": "phone", "phone": "13612345679"})
    assert response.status_code == 200 and 'name="code"' not in response.content.decode()
    assert not list(get_messages(response.wsgi_request))


def test_the_self_service_account_never_signs_in(client, ss_actor, settings):
    # With a password somebody set, the pages refuse to act as it ...
    ss_actor.set_password("Geheim-2026-lang")
    ss_actor.save()
    with pytest.raises(services.NotConfigured):
        services.actor()
    # ... and no sign-in accepts it, whatever the password.
    assert (
        authenticate(None, username=settings.SELFSERVICE_ACTOR, password="Geheim-2026-lang") is None
    )
    assert not client.login(username=settings.SELFSERVICE_ACTOR, password="Geheim-2026-lang")
