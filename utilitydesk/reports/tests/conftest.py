"""A hand-counted November 2026 (week 46 holds every row but the October ones): the
figures each report must show are worked out in the tests' comments."""

from datetime import datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from tests.factories import settled_deadline as deadline
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases.models import Case, Channel, Contact, Kind, Status
from utilitydesk.complaints.models import Appeal, Complaint
from utilitydesk.knowledge.models import Entry

SH = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 10, 10, tzinfo=SH)
OCT = datetime(2026, 10, 20, 10, tzinfo=SH)
numbers = count(1)


def case(unit, kind=Kind.REPAIR, *, channel=Channel.PHONE, received=NOV, resolved=NOV, **kw):
    return Case.objects.create(
        number=f"RPT{next(numbers):06d}",
        kind=kind,
        channel=channel,
        content="暖气不热",
        received_at=received,
        resolved_at=resolved,
        status=Status.RESOLVED if resolved else Status.DISPATCHED,
        responsible_unit=unit,
        **kw,
    )


@pytest.fixture
def world(org, people, area):
    agent, tech = people["agent"], people["tech"]
    east, team, west = org["east"], org["east_team"], org["west"]
    rows = {}
    # Repairs: A (east team) on time; B (east, WeChat) on site breached and resolved late;
    # G (west) on site breached, no resolution deadline; D in October.
    rows["A"] = case(team, first_responder=agent, assignee=tech, building=area["east"])
    deadline(rows["A"], "on_site")
    deadline(rows["A"], "resolution")
    rows["B"] = case(
        east, channel=Channel.WECHAT, first_responder=agent, assignee=tech, building=area["east"]
    )
    deadline(rows["B"], "on_site", breached=True)
    deadline(rows["B"], "resolution", late=True)
    rows["G"] = case(west, first_responder=agent, building=area["west"])
    deadline(rows["G"], "on_site", breached=True)
    rows["D"] = case(east, first_responder=agent, received=OCT, resolved=OCT)
    # Complaints: E valid against the east station and its technician, corrective action
    # recorded; F (a letter) resolution breached, valid but set aside on appeal.
    rows["E"] = case(east, Kind.COMPLAINT, first_responder=agent)
    deadline(rows["E"], "resolution")
    rows["F"] = case(east, Kind.COMPLAINT, channel=Channel.LETTER, first_responder=agent)
    deadline(rows["F"], "resolution", breached=True)
    Complaint.objects.create(
        case=rows["E"],
        category="repair",
        level=2,
        responsibility="mistake",
        valid=True,
        responsible_unit=east,
        responsible_staff=tech,
        corrective_actions="加强维修质量培训",
        determined_at=NOV,
    )
    appealed = Complaint.objects.create(
        case=rows["F"],
        category="heating_quality",
        level=2,
        responsibility="mistake",
        valid=True,
        responsible_unit=east,
    )
    Appeal.objects.create(
        complaint=appealed, submitted_by=people["head_east"], reason="误判", status="upheld"
    )
    # First callbacks: A satisfied, B dissatisfied, G unreachable.
    for key, status, outcome, comment in (
        ("A", CallbackTask.Status.DONE, "satisfied", ""),
        ("B", CallbackTask.Status.DONE, "dissatisfied", "维修不彻底"),
        ("G", CallbackTask.Status.UNREACHABLE, "unreachable", ""),
    ):
        CallbackTask.objects.create(
            case=rows[key],
            purpose=CallbackTask.Purpose.FIRST,
            caller=agent,
            due_at=NOV + timedelta(days=2),
            status=status,
            outcome=outcome,
            comment=comment,
            completed_at=NOV + timedelta(days=1),
        )
    # Contacts the agent took: two consultations answered from entry K1, a fee enquiry on
    # WeChat passed on, the repair call of A, an October consultation answered from K2.
    k1 = Entry.objects.create(question="供暖期是哪几个月？", answer="11月15日至3月20日")
    k2 = Entry.objects.create(question="如何办理报停？", answer="到营业厅办理")
    for kind, channel, on_spot, entry, when, linked in (
        (Kind.CONSULTATION, Channel.PHONE, True, k1, NOV, None),
        (Kind.CONSULTATION, Channel.PHONE, True, k1, NOV, None),
        (Kind.FEE, Channel.WECHAT, False, None, NOV, None),
        (Kind.REPAIR, Channel.PHONE, False, None, NOV, rows["A"]),
        (Kind.CONSULTATION, Channel.PHONE, True, k2, OCT, None),
    ):
        Contact.objects.create(
            channel=channel,
            kind=kind,
            content="咨询",
            received_at=when,
            first_responder=agent,
            closed_on_spot=on_spot,
            knowledge_entry=entry,
            case=linked,
        )
    return rows
