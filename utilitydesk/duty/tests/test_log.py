"""The duty log (值班记录, R-1001): typed entries on the shift their time falls in; a major
event reaches the service centre's director at once, exactly once."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.duty import selectors, services
from utilitydesk.duty.models import LogKind
from utilitydesk.notifications.models import Channel, Message

from .conftest import at

pytestmark = pytest.mark.django_db
DAY = date(2026, 1, 10)


def test_an_entry_falls_in_the_shift_of_its_time(duty):
    entry = services.write_log_entry(
        duty["unit"].pk,
        kind=LogKind.CALL_PEAK,
        occurred_at=at(DAY + timedelta(days=1), 2, 30),
        text="降温后夜间来电激增，两小时 180 个",
        actor=duty["agent2"],
        now=at(DAY + timedelta(days=1), 3),
    )
    assert (entry.day, entry.shift) == (DAY, duty["night"])
    assert entry.author == duty["agent2"] and entry.director_notified_at is None
    assert not Message.objects.exists()


def test_a_major_event_notifies_the_director_once(duty):
    now = at(DAY, 14)
    entry = services.write_log_entry(
        duty["unit"].pk,
        kind=LogKind.MAJOR_EVENT,
        occurred_at=at(DAY, 13, 50),
        text="城东换热站停电，约 2000 户停热",
        actor=duty["agent"],
        now=now,
    )
    messages = Message.objects.filter(channel=Channel.INBOX)
    assert [m.recipient for m in messages] == [duty["director"]]
    message = messages.get()
    assert "城东换热站停电" in message.body and "13:50" in message.body
    assert "值班重大事件" in message.subject
    assert entry.director_notified_at == now
    # Another entry notifies again, for itself only; the same entry never twice.
    services.write_log_entry(
        duty["unit"].pk,
        kind=LogKind.OTHER,
        occurred_at=at(DAY, 14),
        text="已通知运行部",
        actor=duty["agent"],
        now=now,
    )
    assert Message.objects.count() == 1


def test_bad_entries_are_refused_with_field_messages(duty):
    with pytest.raises(ValidationError) as refused:
        services.write_log_entry(
            duty["unit"].pk,
            kind="party",
            occurred_at=at(DAY, 15),
            text="  ",
            actor=duty["agent"],
            now=at(DAY, 14),
        )
    assert set(refused.value.message_dict) == {"kind", "text", "occurred_at"}


def test_only_duty_staff_write_the_log(duty, people):
    with pytest.raises(PermissionDenied):
        services.write_log_entry(
            duty["unit"].pk, kind=LogKind.OTHER, occurred_at=None, text="x", actor=people["tech"]
        )


def test_the_log_filters_by_date_and_type(duty):
    for day, kind in (
        (DAY, LogKind.VISITOR),
        (DAY, LogKind.EQUIPMENT),
        (DAY + timedelta(1), LogKind.VISITOR),
    ):
        services.write_log_entry(
            duty["unit"].pk,
            kind=kind,
            occurred_at=at(day, 10),
            text="记录",
            actor=duty["agent"],
            now=at(day, 11),
        )
    rows = selectors.log_entries(
        duty["agent"], duty["unit"], date_from=DAY, date_to=DAY, kinds=[LogKind.VISITOR]
    )
    assert [(r.day, r.kind) for r in rows] == [(DAY, LogKind.VISITOR)]
    assert selectors.log_entries(duty["agent"], duty["unit"]).count() == 3
