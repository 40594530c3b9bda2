"""The limits and the one-case-per-tap rule under parallel requests: each request locks
its rows before it counts, so ten at once do what ten in a row would. PostgreSQL only:
row locks are what is being proved."""

import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import is_postgres
from utilitydesk.cases.models import Case, Kind
from utilitydesk.cases.services import DuplicateWarning
from utilitydesk.customers.models import Premises
from utilitydesk.outages.tests.test_interruption_concurrency import run_together
from utilitydesk.selfservice import services
from utilitydesk.selfservice.models import BindFailure, SignInCode

from .conftest import PHONE

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL"),
]


def outcomes(results):
    kinds = [r[0] for r in results]
    assert "crash" not in kinds, results
    return kinds.count("ok")


def test_ten_code_requests_at_once_send_at_most_the_limit(texts, ss_actor, settings):
    settings.SELFSERVICE_CODE_INTERVAL_SECONDS = 0  # the hourly limit is what is tried
    now = timezone.now()
    results = run_together(
        [
            lambda i=i: services.request_code(PHONE, ip_address=f"10.0.0.{i}", now=now)
            for i in range(10)
        ]
    )
    limit = settings.SELFSERVICE_CODES_PER_PHONE_PER_HOUR
    assert outcomes(results) == limit
    assert SignInCode.objects.filter(phone=PHONE).count() == limit
    assert len([t for t in texts if t["to"] == PHONE]) == limit


def test_ten_code_requests_at_once_respect_the_interval(texts, ss_actor):
    now = timezone.now()
    results = run_together(
        [lambda: services.request_code(PHONE, ip_address=None, now=now) for _i in range(10)]
    )
    assert outcomes(results) == 1 and len(texts) == 1


def test_ten_numbers_from_one_address_at_once_hold_its_limit(texts, ss_actor, settings):
    settings.SELFSERVICE_CODES_PER_ADDRESS_PER_HOUR = 3
    now = timezone.now()
    results = run_together(
        [
            lambda i=i: services.request_code(f"1390000000{i}", ip_address="10.9.9.9", now=now)
            for i in range(10)
        ]
    )
    assert outcomes(results) == 3 and len(texts) == 3


def test_ten_wrong_proofs_at_once_hold_the_failure_limit(customers, ss_actor, settings):
    east = customers["east"]
    results = run_together(
        [lambda: services.bind(PHONE, east.account_no, name="王五") for _i in range(10)]
    )
    assert outcomes(results) == 0
    assert BindFailure.objects.filter(phone=PHONE).count() == (
        settings.SELFSERVICE_BIND_FAILURES_PER_DAY
    )


def test_two_taps_on_send_make_one_case(customers, ss_actor, monkeypatch):
    from utilitydesk.cases.services import intake

    hold_for = intake.hold_for

    def slow_hold_for(*args, **kwargs):
        time.sleep(0.5)  # widens the gap between intake's duplicate check and its insert
        return hold_for(*args, **kwargs)

    monkeypatch.setattr(intake, "hold_for", slow_hold_for)
    services.bind(PHONE, customers["east"].account_no, name="李雷")
    premises = Premises.objects.get(customer=customers["east"])
    report = services.FaultReport(premises.pk, "repair", "全屋暖气不热")

    def send():
        try:
            return services.report(PHONE, report)
        except DuplicateWarning as warning:  # what the second tap meets
            raise ValidationError(str(warning)) from warning

    results = run_together([send, send])
    assert outcomes(results) == 1
    assert Case.objects.filter(premises=premises).count() == 1
    results = run_together(
        [lambda: services.request_temperature(PHONE, premises.pk, "晚上在家") for _i in range(2)]
    )
    assert outcomes(results) == 1
    assert Case.objects.filter(premises=premises, kind=Kind.TEMPERATURE).count() == 1
