"""Alipay's asynchronous notification, sent by a local sender that signs as Alipay does:
verified, applied once per trade_no (the same notification 20 times in parallel is one
payment and one ledger entry), answered exactly `success` or `fail`."""

from decimal import Decimal

import pytest
from django.test import Client

from tests.factories import is_postgres
from utilitydesk.billing import ledger
from utilitydesk.billing.models import LedgerEntry
from utilitydesk.outages.tests.test_interruption_concurrency import run_together
from utilitydesk.payments import alipay, services
from utilitydesk.payments.models import Channel, OrderState, Payment

from .conftest import NOW, alipay_body, notification

URL = "/api/v1/payments/notify/alipay/"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def alipay_setup(settings, alipay_keys, clerk, customers):
    settings.ALIPAY_PUBLIC_KEY = alipay_keys["public"]
    settings.ALIPAY_APP_ID = "2021000000000001"
    order = services.create_online_order(customers["east"].pk, "2230.20", actor=None, now=NOW)
    return {"order": order, "private": alipay_keys["private"]}


def post(body: str):
    response = Client().post(URL, data=body, content_type=FORM)
    return response.status_code, response.content.decode(), response["Content-Type"]


@pytest.mark.django_db
def test_a_paid_notification_is_one_payment_however_often_sent(alipay_setup, customers):
    order, private = alipay_setup["order"], alipay_setup["private"]
    body = alipay_body(notification(order), private)
    assert post(body) == (200, "success", "text/plain; charset=utf-8")
    assert post(body)[1] == "success"
    payment = Payment.objects.get()
    assert payment.channel == Channel.ALIPAY and payment.amount == Decimal("2230.20")
    assert payment.external_id == "2026120322001401230000012345"
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.payment == payment
    assert ledger.balance_of(customers["east"].pk) == Decimal("-2230.20")


@pytest.mark.django_db
def test_what_is_refused_answers_fail_and_books_nothing(alipay_setup, alipay_keys):
    order, private = alipay_setup["order"], alipay_setup["private"]
    good = notification(order)
    tampered = alipay_body(good, private).replace("total_amount=2230.20", "total_amount=1.00")
    assert post(tampered)[1] == "fail"
    assert post(alipay_body(notification(order, total_amount="1.00"), private))[1] == "fail"
    assert post(alipay_body(notification(order, out_trade_no="UNKNOWN"), private))[1] == "fail"
    assert post(alipay_body(notification(order, app_id="2021999"), private))[1] == "fail"
    assert post("trade_no=1&sign=abc")[1] == "fail"
    assert (
        Client().post("/api/v1/payments/notify/wechat/", data="a=1", content_type=FORM).status_code
        == 404
    )
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()
    # A closed trade is acknowledged (Alipay stops sending) and pays nothing.
    closed = alipay_body(notification(order, trade_status="TRADE_CLOSED"), private)
    assert post(closed)[1] == "success" and not Payment.objects.exists()


def test_the_signed_content_follows_alipays_rule():
    params = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "empty": "", "c": "中 文"}
    assert alipay.signed_content(params) == "a=1&b=2&c=中 文"


def test_a_key_in_bare_base64_is_read(alipay_keys):
    pem = alipay_keys["public"]
    bare = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    assert alipay.load_public_key(bare) == alipay.load_public_key(pem)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL")
def test_the_same_notification_twenty_times_at_once_is_one_payment(alipay_setup, customers):
    order, private = alipay_setup["order"], alipay_setup["private"]
    body = alipay_body(notification(order), private)
    results = run_together([lambda: post(body)[1] for _ in range(20)])
    assert results == [("ok", "success")] * 20
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(customer=customers["east"]).count() == 1
    assert ledger.balance_of(customers["east"].pk) == Decimal("-2230.20")


@pytest.mark.django_db
def test_the_endpoint_is_in_the_openapi_schema(people):
    client = Client()
    client.force_login(people["agent"])
    schema = client.get("/api/v1/schema/").content.decode()
    assert "/api/v1/payments/notify/{channel}/" in schema
    assert "application/x-www-form-urlencoded" in schema and "out_trade_no" in schema
