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
    print(sizes)
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
