"""The customer pages: headers, no inline scripts, the read-only pages, bad input."""

import re

import pytest

from tests.factories import open_case
from utilitydesk.knowledge.models import Entry
from utilitydesk.selfservice import services

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db

PAGES = (
    "/my/",
    "/my/bind/",
    "/my/report/",
    "/my/cases/",
    "/my/interruptions/",
    "/my/bills/",
    "/my/temperature/",
    "/my/heat/",
)


@pytest.fixture
def signed_in(client, texts, customers, ss_actor):
    services.bind(PHONE, customers["east"].account_no, name="李雷")
    return sign_in(client, texts)


def test_every_page_is_chinese_uncached_and_without_inline_script(signed_in, people, customers):
    case = open_case(people["agent"], customers["east"])
    for path in (*PAGES, f"/my/cases/{case.number}/", "/my/faq/"):
        response = signed_in.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert "no-store" in response["Cache-Control"], path
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
        assert not re.search(r"\son[a-z]+=", body), path
        assert 'lang="zh-hans"' in body, path
        # Every input has its label.
        ids = set(re.findall(r'<input[^>]*type="(?:text|search|radio)"[^>]*id="([^"]+)"', body))
        ids |= set(re.findall(r'<(?:textarea|select)[^>]*id="([^"]+)"', body))
        labelled = set(re.findall(r'<label[^>]*for="([^"]+)"', body))
        assert ids <= labelled, (path, ids - labelled)


def test_faq_is_public_and_searchable(client, ss_actor):
    Entry.objects.create(
        question="暖气不热怎么办？", answer="先检查阀门是否打开。", keywords="不热"
    )
    body = client.get("/my/faq/", {"q": "暖气不热"}).content.decode()
    assert "先检查阀门" in body
    assert client.get("/my/faq/", {"q": "x" * 5000}).status_code == 200


def test_unconfigured_self_service_account_is_a_page_not_a_500(signed_in, ss_actor):
    ss_actor.is_active = False
    ss_actor.save()
    assert signed_in.get("/my/").status_code == 503


# docs/selfservice.md: the page weight budget on a slow mobile connection.
PAGE_BUDGET_BYTES = 20_000  # the HTML of one page, before compression
STYLE_BUDGET_BYTES = 8_000  # the one style sheet; no script, no font, no image


def test_pages_stay_within_the_weight_budget(signed_in, people, customers):
    from django.contrib.staticfiles import finders

    for _i in range(10):
        open_case(people["agent"], customers["east"])
    sizes = {path: len(signed_in.get(path).content) for path in (*PAGES, "/my/faq/")}
    assert max(sizes.values()) <= PAGE_BUDGET_BYTES, sizes
    with open(finders.find("selfservice/my.css"), "rb") as style:
        assert len(style.read()) <= STYLE_BUDGET_BYTES
    body = signed_in.get("/my/cases/").content.decode()
    assert "<script" not in body and body.count('rel="stylesheet"') == 1


def test_the_command_makes_an_agent_nobody_signs_in_as(org, client):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("selfservice_account")
    call_command("selfservice_account")  # twice is once
    account = get_user_model().objects.get(username="selfservice")
    assert not account.has_usable_password() and not account.is_staff
    assert account.has_perm("cases.add_contact") and account.has_perm("cases.reopen_case")
    assert services.actor() == account
    assert not client.login(username="selfservice", password="")


def test_pages_showing_addresses_are_in_the_access_log(signed_in, customers):
    from utilitydesk.audit.models import AccessLog

    for path, kind in (
        ("/my/interruptions/", "interruptions"),
        ("/my/report/", "report"),
        ("/my/temperature/", "temperature"),
    ):
        assert signed_in.get(path).status_code == 200
        assert AccessLog.objects.filter(
            customer=customers["east"], detail__page_kind=kind, detail__selfservice="136****5678"
        ).exists(), path


def test_money_shows_issued_bills_and_each_accounts_own_payments(customers, ss_actor):
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from utilitydesk.billing import services as billing
    from utilitydesk.billing.models import Bill, BillStatus
    from utilitydesk.outages.tests.conftest import NOW
    from utilitydesk.payments.models import Payment
    from utilitydesk.selfservice import selectors

    east, west = customers["east"], customers["west"]
    services.bind(PHONE, east.account_no, name="李雷")
    services.bind(PHONE, west.account_no, name=west.name)
    billing.generate_bills(billing.start_run(2026, actor=None, now=NOW).pk, now=NOW)
    bill = Bill.objects.get(customer=east)
    assert selectors.my_bill(PHONE, bill.number) == bill
    Bill.objects.filter(pk=bill.pk).update(status=BillStatus.SUPERSEDED)
    assert selectors.my_bill(PHONE, bill.number) is None

    now = timezone.now()
    channel = Payment._meta.get_field("channel").choices[0][0]

    def paid(customer, n, at):
        return Payment(
            number=f"P{customer.pk}-{n}",
            customer=customer,
            channel=channel,
            amount=Decimal("10.00"),
            received_at=at,
            ledger_reference=f"ss-test-{customer.pk}-{n}",
        )

    # The east account's many recent payments do not crowd out the west account's.
    Payment.objects.bulk_create(
        [paid(east, n, now - timedelta(minutes=n)) for n in range(110)]
        + [paid(west, n, now - timedelta(days=30 + n)) for n in range(3)]
    )
    shown = {money.customer.pk: money.payments for money in selectors.my_money(PHONE)}
    assert len(shown[east.pk]) == selectors.PAYMENTS_SHOWN and len(shown[west.pk]) == 3
    assert shown[east.pk][0].received_at == now


def test_the_purge_forgets_old_codes_and_failures(ss_actor):
    from datetime import timedelta

    from django.utils import timezone

    from utilitydesk.selfservice.models import BindFailure, SignInCode
    from utilitydesk.selfservice.tasks import purge

    now = timezone.now()
    for days in (31, 1):
        at = now - timedelta(days=days)
        SignInCode.objects.create(phone=PHONE, digest="x", created_at=at, expires_at=at)
        BindFailure.objects.create(phone=PHONE, account_no="1", at=at)
    assert purge() == 2
    assert SignInCode.objects.count() == 1 and BindFailure.objects.count() == 1
