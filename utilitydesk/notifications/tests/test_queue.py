"""The interface the outages app calls: queue_customer_notices and notice_status."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from utilitydesk.notifications.defaults import OUTAGE_UNPLANNED
from utilitydesk.notifications.models import Message
from utilitydesk.notifications.services import notice_status, queue_customer_notices

PARAMS = {
    "reason": "管道抢修",
    "area": "城东小区3号楼",
    "start": "12月3日08:00",
    "end": "12月3日18:00",
    "service": "热",
    "hotline": "96069",
}


def queue(recipients, event_key="announced", params=PARAMS, reference="interruption:12"):
    return queue_customer_notices(
        reference=reference,
        event_key=event_key,
        template_code=OUTAGE_UNPLANNED,
        params=params,
        recipients=recipients,
        actor=None,
        now=timezone.now(),
    )


@pytest.mark.django_db
def test_one_notice_per_phone_and_event():
    recipients = [(1, "13800000001"), (1, "13800000002"), (2, "13800000001"), (None, " ")]
    assert queue(recipients) == 2
    assert queue(recipients + [(3, "13800000003")]) == 1
    assert queue(recipients, event_key="restored") == 2
    rows = Message.objects.filter(reference="interruption:12", template_code=OUTAGE_UNPLANNED)
    assert rows.count() == 5
    first = rows.get(address="13800000001", dedupe_key__endswith=":announced:13800000001")
    assert first.customer_id == 1
    assert first.channel == "sms"
    assert "城东小区3号楼" in first.body and "{" not in first.body
    assert first.params["area"] == "城东小区3号楼"
    assert notice_status("interruption:12")["queued"] == 5


@pytest.mark.django_db
def test_missing_value_refused():
    with pytest.raises(ValidationError):
        queue([(1, "13800000001")], params={**PARAMS, "area": ""})
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_delivery_starts_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert queue([(1, "13800000001"), (2, "13800000002")]) == 2
    assert notice_status("interruption:12")["sent"] == 2
