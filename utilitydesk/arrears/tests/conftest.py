"""Arrears fixtures: a billing clerk and the approvers the shipped path names, the season's
bills of the root fixtures' customers (and two neighbours in the east building), and the
shipped arrears policy and restoration limit (installed again: a transactional test
flushes the migrations' data)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_customer, staff
from utilitydesk.arrears.defaults import install_default_arrears_policy, install_restore_limit
from utilitydesk.arrears.models import ArrearsPolicy, PathStep
from utilitydesk.billing import services as billing
from utilitydesk.org.models import Position
from utilitydesk.policy import services as sla
from utilitydesk.policy.models import LimitRule, PolicyVersion

SH = ZoneInfo("Asia/Shanghai")
YEAR = 2026  # bills due 2026-11-15; 88.50 m² residents: 2,230.20 each
BILLED_AT = datetime(2026, 10, 1, 9, 0, tzinfo=SH)


def at(month, day, hour=9, year=2026):
    return datetime(year, month, day, hour, 0, tzinfo=SH)


@pytest.fixture
def shipped(org):
    install_default_arrears_policy(ArrearsPolicy, PathStep)
    install_restore_limit(PolicyVersion, LimitRule)
    sla.reset_caches()


@pytest.fixture
def staffers(org, people, shipped):
    return {
        **people,
        "clerk": staff("clerk", Position.BILLING_CLERK, org["company"]),
        "dept": staff("dept", Position.DEPARTMENT_HEAD, org["company"]),
        "deputy": staff("deputy", Position.DEPUTY_GM, org["company"]),
        "head_west": staff("head_west", Position.STATION_HEAD, org["west"]),
    }


@pytest.fixture
def billed(staffers, customers, area):
    """李雷 (east 1-101) and two neighbours in the same building (1-102, 1-201), 韩梅梅
    (west); every bill issued on 2026-10-01, due 2026-11-15."""
    neighbours = {
        "next_door": make_customer(area["east"], "102", phones=("13811112222",), name="王五"),
        "upstairs": make_customer(area["east"], "201", phones=("13833334444",), name="赵六"),
    }
    run = billing.start_run(YEAR, actor=None, now=BILLED_AT)
    billing.generate_bills(run.pk, now=BILLED_AT)
    return {**customers, **neighbours}
