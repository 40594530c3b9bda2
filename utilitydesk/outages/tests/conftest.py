from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_customer, staff
from utilitydesk.area.models import Source
from utilitydesk.customers.models import SpecialCare
from utilitydesk.notifications.defaults import install_default_templates
from utilitydesk.notifications.models import NoticeTemplate
from utilitydesk.org.models import Position
from utilitydesk.outages import interruptions as services

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=SH)


@pytest.fixture
def net(people, customers, area, org):
    """The east substation fed by a heat source, with three households in its building
    (one special care, two sharing a phone number) besides the fixture's 李雷; the west
    building on its own substation."""
    install_default_templates(NoticeTemplate)
    source = Source.objects.create(code="S1", name="城东热源")
    east_sub = area["east"].substation
    east_sub.source = source
    east_sub.save()
    extra = [
        make_customer(area["east"], "102", phones=("13700000001",), name="王奶奶"),
        make_customer(area["east"], "201", phones=("13700000002",), unit="2", name="赵先生"),
        make_customer(area["east"], "202", phones=("13700000002",), unit="2", name="赵太太"),
    ]
    extra[0].special_care = SpecialCare.ELDERLY
    extra[0].save()
    return {
        "source": source,
        "east_sub": east_sub,
        "west_sub": area["west"].substation,
        "extra": extra,
        "dispatcher": staff("dispatcher", Position.DISPATCHER, org["centre"]),
        "billing": staff("billing", Position.BILLING_CLERK, org["centre"]),
    }


def burst(net, *, actor=None, now=NOW, **kw) -> services.Interruption:
    """An unplanned pipe burst at the east substation that began ten minutes ago."""
    data = services.InterruptionInput(
        kind=kw.pop("kind", "pipe_burst"),
        title=kw.pop("title", "城东换热站二次网爆管"),
        start_at=kw.pop("start_at", now - timedelta(minutes=10)),
        expected_restoration_at=kw.pop("expected_restoration_at", now + timedelta(hours=8)),
        substation_ids=kw.pop("substation_ids", [net["east_sub"].pk]),
        **kw,
    )
    return services.create_interruption(data, actor=actor or net["dispatcher"], now=now)
