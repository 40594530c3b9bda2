"""Binding an account: the account number with the holder's name or the last bill's
amount; wrong proofs are limited per number and never say which part was wrong."""

import pytest
from django.core.exceptions import ValidationError

from utilitydesk.billing import services as billing
from utilitydesk.outages.tests.conftest import NOW
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import Binding

from .conftest import PHONE, sign_in

pytestmark = pytest.mark.django_db


def test_bind_by_name(customers, ss_actor):
    east = customers["east"]
    binding = services.bind(PHONE, east.account_no, name=" 李 雷 ")
    assert binding.customer == east and binding.proof == Binding.Proof.NAME
    # Twice is once.
    assert services.bind(PHONE, east.account_no, name="李雷") == binding


def test_bind_by_the_last_bills_amount(customers, ss_actor, people):
    run = billing.start_run(2026, actor=None, now=NOW)
    billing.generate_bills(run.pk, now=NOW)
    east = customers["east"]
    with pytest.raises(ValidationError):
        services.bind(PHONE, east.account_no, bill_amount="2230.00")
    binding = services.bind(PHONE, east.account_no, bill_amount="2,230.20")
    assert binding.proof == Binding.Proof.BILL


def test_wrong_proofs_are_refused_alike_and_limited(customers, ss_actor, settings):
    east = customers["east"]
    with pytest.raises(ValidationError) as wrong_name:
        services.bind(PHONE, east.account_no, name="韩梅梅")
    with pytest.raises(ValidationError) as unknown:
        services.bind(PHONE, "00000000", name="李雷")
    assert wrong_name.value.message_dict == unknown.value.message_dict
    for _try in range(settings.SELFSERVICE_BIND_FAILURES_PER_DAY - 2):
        with pytest.raises(ValidationError):
            services.bind(PHONE, east.account_no, name="王五")
    with pytest.raises(ValidationError, match="Too many"):
        services.bind(PHONE, east.account_no, name="李雷")  # the right proof, too late
    assert not Binding.objects.exists()
    # Another number is not held back.
    services.bind("13911112222", east.account_no, name="李雷")


def test_bind_page_keeps_what_was_typed(client, texts, customers, ss_actor):
    sign_in(client, texts)
    response = client.post(
        "/my/bind/", {"account_no": "12 34", "name": "某某", "bill_amount": "abc"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="12 34"' in body and 'value="abc"' in body and 'role="alert"' in body
    response = client.post(
        "/my/bind/", {"account_no": customers["east"].account_no, "name": "李雷"}
    )
    assert response.status_code == 302
    assert "李雷" in client.get("/my/").content.decode()
    response = client.post(f"/my/bind/{customers['east'].pk}/remove/")
    assert response.status_code == 302 and not Binding.objects.exists()
    assert client.post(f"/my/bind/{customers['west'].pk}/remove/").status_code == 404
    assert client.post(f"/my/bind/{10**30}/remove/").status_code == 404
    long = "GD" + "9" * 40
    assert client.get(f"/my/cases/{long}/").status_code == 404
    assert client.get(f"/my/bills/{long}/").status_code == 404
