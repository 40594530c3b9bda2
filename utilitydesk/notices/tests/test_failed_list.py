"""The failed-delivery list agents work through: who may open it, masked phones, the
access log, sending again and noting a phone call."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from utilitydesk.audit.models import AccessLog
from utilitydesk.notifications.models import Message

pytestmark = pytest.mark.django_db


def failed(customer, phone, reference="interruption:3", **extra):
    return Message.objects.create(
        channel="sms",
        address=phone,
        body="尊敬的用户：您所在的1号楼暂停供热。",
        reference=reference,
        template_code="outage_unplanned",
        customer_id=customer.pk if customer else None,
        status=Message.Status.FAILED,
        error_code="FailedOperation.PhoneNumberInBlacklist",
        attempts=1,
        dedupe_key=f"{reference}:announced:{phone}",
        **extra,
    )


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def failures(customers):
    return [
        failed(customers["east"], "13812345678"),
        failed(customers["west"], "13900001111", reference="interruption:4"),
        Message.objects.create(channel="sms", address="13800000000", body="sent", status="sent"),
    ]


def test_agents_and_the_office_see_it_field_staff_do_not(people, failures):
    for name in ("agent", "office"):
        response = signed_in(people[name]).get(reverse("notices:failed"))
        assert response.status_code == 200
        assert "13812345678" in response.content.decode()  # they see full numbers
        assert "李雷" in response.content.decode()
        assert "免打扰" in response.content.decode()
    for name in ("tech", "head_east"):
        assert signed_in(people[name]).get(reverse("notices:failed")).status_code == 403
    assert Client().get(reverse("notices:failed")).status_code == 302


def test_phones_are_masked_for_whoever_may_not_see_them(people, failures):
    clerk = UserFactory(username="clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="work_failed_notices"))
    page = signed_in(clerk).get(reverse("notices:failed")).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "李雷" not in page  # may not see the customer record


def test_the_list_is_filtered_and_logged(people, failures, customers):
    client = signed_in(people["agent"])
    page = client.get(reverse("notices:failed"), {"reference": "interruption:4"}).content.decode()
    assert "13900001111" in page and "13812345678" not in page
    log = AccessLog.objects.filter(actor=people["agent"], action="list")
    assert list(log.values_list("customer_id", flat=True)) == [customers["west"].pk]
    assert log.get().detail["messages"] == [failures[1].pk]


def test_nav_link_for_those_who_may(people, failures):
    assert "/notices/failed/" in signed_in(people["agent"]).get("/").content.decode()


def test_send_again(people, failures, django_capture_on_commit_callbacks):
    client = signed_in(people["agent"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("notices:retry"), {"message": failures[0].pk})
    assert response.status_code == 302
    assert len(callbacks) == 1  # delivery starts after commit
    failures[0].refresh_from_db()
    assert failures[0].status == "queued" and failures[0].attempts == 0
    assert failures[0].handling == "retried" and failures[0].handled_by == people["agent"]
    # Not in the list any more while it waits to be sent.
    assert "13812345678" not in client.get(reverse("notices:failed")).content.decode()


def test_send_every_open_one_of_a_reference(people, customers):
    for i in range(3):
        failed(customers["east"], f"1380000000{i}")
    failed(customers["east"], "13800000009", reference="interruption:9")
    phoned = failed(customers["east"], "13800000008")
    phoned.handling = "phoned"
    phoned.save()
    client = signed_in(people["office"])
    client.post(reverse("notices:retry"), {"reference": "interruption:3", "all": "1"})
    assert Message.objects.filter(reference="interruption:3", status="queued").count() == 3
    assert Message.objects.get(pk=phoned.pk).status == "failed"
    assert Message.objects.get(reference="interruption:9").status == "failed"


def test_reached_by_phone_needs_a_note(people, failures):
    client = signed_in(people["agent"])
    url = reverse("notices:reached", args=[failures[0].pk])
    client.post(url, {"note": "  "})
    failures[0].refresh_from_db()
    assert failures[0].handling == ""
    client.post(url, {"note": "已电话告知停热至18:00"})
    failures[0].refresh_from_db()
    assert failures[0].handling == "phoned"
    assert failures[0].handling_note == "已电话告知停热至18:00"
    assert failures[0].handled_at <= timezone.now()
    assert "13812345678" not in client.get(reverse("notices:failed")).content.decode()
    page = client.get(reverse("notices:failed"), {"state": "phoned"}).content.decode()
    assert "已电话告知停热至18:00" in page


def test_actions_need_the_permission(people, failures):
    client = signed_in(people["tech"])
    assert client.post(reverse("notices:retry"), {"message": failures[0].pk}).status_code == 403
    url = reverse("notices:reached", args=[failures[0].pk])
    assert client.post(url, {"note": "x"}).status_code == 403
    failures[0].refresh_from_db()
    assert failures[0].status == "failed" and failures[0].handling == ""
