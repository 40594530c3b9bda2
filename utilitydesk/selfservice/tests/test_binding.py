"""Binding an account: the account number with the holder's name or the last bill's
amount; wrong proofs are limited per number and never say which part was wrong."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from utilitydesk.billing import services as billing
from utilitydesk.outages.tests.conftest import NOW
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import BindFailure, Binding

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


def test_typed_account_numbers_and_names_are_normalised(customers, ss_actor):
    east = customers["east"]
    wide = "".join(chr(ord(d) + 0xFEE0) for d in east.account_no)  # full-width digits
    spaced = f"{wide[:4]} {wide[4:]}"
    binding = services.bind(PHONE, spaced, name="李\u3000雷")
    assert binding.customer == east


def test_failures_are_limited_per_account_and_per_address(customers, ss_actor, settings):
    east = customers["east"]
    settings.SELFSERVICE_BIND_FAILURES_PER_ACCOUNT_PER_DAY = 3
    for i in range(3):  # three numbers, one wrong try each
        with pytest.raises(ValidationError, match="do not match"):
            services.bind(f"1390000000{i}", east.account_no, name="王五")
    with pytest.raises(ValidationError, match="Too many"):
        services.bind("13900000009", east.account_no, name="李雷")
    assert BindFailure.objects.filter(account_no=east.account_no).count() == 3

    settings.SELFSERVICE_BIND_FAILURES_PER_ADDRESS_PER_DAY = 2
    for i in range(2):
        with pytest.raises(ValidationError, match="do not match"):
            services.bind(f"1370000000{i}", f"7700000{i}", name="王五", ip_address="10.1.1.1")
    with pytest.raises(ValidationError, match="Too many"):
        services.bind(
            "13700000009", customers["west"].account_no, name="韩梅梅", ip_address="10.1.1.1"
        )


def test_a_new_binding_is_texted_to_the_accounts_numbers(client, texts, customers, ss_actor):
    east = customers["east"]
    on_record = set(east.phones.values_list("number", flat=True))
    assert on_record and PHONE not in on_record
    services.bind(PHONE, east.account_no, name="李雷")
    told = [t for t in texts if t["to"] in on_record]
    assert len(told) == len(on_record)
    assert all(east.account_no in t["text"] and "136****5678" in t["text"] for t in told)
    services.bind(PHONE, east.account_no, name="李雷")  # already bound: not told again
    assert len([t for t in texts if t["to"] in on_record]) == len(on_record)
    # The household sees which other numbers may read its account, masked.
    services.bind("13912345678", east.account_no, name="李雷")
    body = sign_in(client, texts).get("/my/").content.decode()
    assert "139****5678" in body and "13912345678" not in body


OTHER_HOUSEHOLD = "13900001111"  # on the west account's record


def test_a_binding_unused_too_long_needs_the_proof_again(client, texts, customers, ss_actor):
    east, west = customers["east"], customers["west"]
    services.bind(PHONE, east.account_no, name="李雷")
    services.bind(PHONE, west.account_no, name="韩梅梅")
    now = timezone.now()
    Binding.objects.filter(customer=east).update(last_used_at=now - timedelta(days=91))
    Binding.objects.filter(customer=west).update(last_used_at=now - timedelta(days=89))
    sign_in(client, texts)
    # The idle one is gone; the other is kept and counts as used from now.
    assert list(Binding.objects.filter(phone=PHONE).values_list("customer", flat=True)) == [west.pk]
    assert Binding.objects.get(phone=PHONE).last_used_at >= now
    home = client.get("/my/")
    page = home.content.decode()
    assert west.account_no in page and east.account_no not in page
    assert "需要重新验证绑定" in page  # which accounts is not said
    assert client.get(f"/my/cases/{open_case_number(east)}/").status_code == 404
    # The proof binds it again.
    services.bind(PHONE, east.account_no, name="李雷")
    assert Binding.objects.filter(phone=PHONE).count() == 2


def open_case_number(customer):
    from tests.factories import open_case
    from utilitydesk.selfservice.services import actor

    return open_case(actor(), customer).number


def test_a_binding_in_use_is_kept_however_old(customers, ss_actor):
    binding = services.bind(PHONE, customers["east"].account_no, name="李雷")
    Binding.objects.filter(pk=binding.pk).update(created_at=timezone.now() - timedelta(days=400))
    for days in (80, 160, 240, 320):  # signed in every 80 days
        assert services.refresh_bindings(PHONE, now=timezone.now() + timedelta(days=days)) == 0
    assert Binding.objects.filter(pk=binding.pk).exists()
    assert services.refresh_bindings(PHONE, now=timezone.now() + timedelta(days=411)) == 1
    assert not Binding.objects.filter(pk=binding.pk).exists()


def test_a_phone_only_binding_lasts_while_the_record_lists_the_number(customers, ss_actor):
    east, west = customers["east"], customers["west"]
    by_number = Binding.objects.create(
        phone=OTHER_HOUSEHOLD, customer=west, proof=Binding.Proof.PHONE
    )
    by_name = services.bind(OTHER_HOUSEHOLD, east.account_no, name="李雷")  # not on east's record
    assert services.refresh_bindings(OTHER_HOUSEHOLD) == 0
    # The household tells the company its number changed: the record no longer lists it.
    west.phones.filter(number=OTHER_HOUSEHOLD).update(number="13900002222")
    assert services.refresh_bindings(OTHER_HOUSEHOLD) == 1
    assert not Binding.objects.filter(pk=by_number.pk).exists()
    # A binding proved by the account's name does not depend on the record.
    assert Binding.objects.filter(pk=by_name.pk).exists()


def test_the_purge_forgets_idle_bindings(customers, ss_actor):
    east, west = customers["east"], customers["west"]
    services.bind(PHONE, east.account_no, name="李雷")
    services.bind(PHONE, west.account_no, name="韩梅梅")
    Binding.objects.filter(customer=east).update(last_used_at=timezone.now() - timedelta(days=91))
    services.purge()
    assert list(Binding.objects.values_list("customer", flat=True)) == [west.pk]
