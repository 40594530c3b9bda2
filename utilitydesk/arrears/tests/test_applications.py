"""Stop / resume heat applications (报停 / 复热, R-805): taken until 30 days before the season
(policy), refused after with the reason; the station's work order (施封 / open) and, when
it is resolved, that home's supply, the HeatStop billing reads and the bill re-issued
through a correction within the requester's authority, else waiting for approval."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from utilitydesk.arrears import services
from utilitydesk.arrears.models import ApplicationKind, ApplicationStatus, ArrearsPolicy
from utilitydesk.billing import corrections
from utilitydesk.billing import services as billing
from utilitydesk.billing.models import Bill, BillStatus, CorrectionStatus, HeatStop
from utilitydesk.cases import services as cases
from utilitydesk.cases.models import Case
from utilitydesk.customers.models import Premises, SupplyStatus

from .conftest import YEAR, at

pytestmark = pytest.mark.django_db
D = Decimal


def premises_of(customer):
    return Premises.objects.get(customer=customer)


def resolve(number, staffers, when):
    cases.accept(number, actor=staffers["tech"], now=when)
    cases.arrive(number, actor=staffers["tech"], now=when + timedelta(minutes=30))
    cases.exempt_signoff(
        number, "阀门施封", actor=staffers["head_east"], now=when + timedelta(minutes=40)
    )
    cases.resolve(
        number,
        cases.Resolution(work_done="已施封"),
        actor=staffers["tech"],
        now=when + timedelta(hours=1),
    )


def current_bill(customer):
    return Bill.objects.get(premises=premises_of(customer), status=BillStatus.ISSUED)


def test_the_window_closes_30_days_before_the_season(staffers, customers):
    window = services.application_window(date(2026, 10, 16))
    assert (window.season, window.start, window.closes_on) == (
        2026,
        date(2026, 11, 15),
        date(2026, 10, 16),
    )
    assert window.is_open(date(2026, 10, 16)) and not window.is_open(date(2026, 10, 17))
    with pytest.raises(ValidationError) as refused:
        services.apply_for_heat(
            premises_of(customers["east"]).pk,
            ApplicationKind.STOP,
            actor=staffers["agent"],
            now=at(10, 17),
        )
    assert "2026-10-16" in str(refused.value) and "2026" in str(refused.value)
    assert not Case.objects.exists()
    # During the season, applications are for the next one.
    assert services.application_window(date(2026, 12, 1)).season == 2027
    # The policy sets the days.
    ArrearsPolicy.objects.update(application_close_days=10)
    assert services.application_window(date(2026, 10, 20)).closes_on == date(2026, 11, 5)


def test_stop_before_the_bill_then_resume(staffers, customers, area, org):
    lei, han = customers["east"], customers["west"]
    home = premises_of(lei)
    application = services.apply_for_heat(
        home.pk, ApplicationKind.STOP, "外出过冬", actor=staffers["agent"], now=at(10, 1)
    )
    order = Case.objects.get(number=application.work_order)
    assert order.premises_id == home.pk and org["east"] in order.responsible_unit.ancestors()
    assert "施封" in order.content
    with pytest.raises(ValidationError, match="正在办理"):
        services.apply_for_heat(
            home.pk, ApplicationKind.STOP, actor=staffers["agent"], now=at(10, 1)
        )
    resolve(order.number, staffers, at(10, 2))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DONE
    assert premises_of(lei).status == SupplyStatus.SUSPENDED
    assert premises_of(han).status == SupplyStatus.SUPPLIED
    stop = HeatStop.objects.get(premises=home)
    assert (stop.season, stop.stopped_on, stop.resumed_on) == (YEAR, date(2026, 11, 15), None)
    assert "尚未出账" in application.bill_note
    # The season's bill counts the whole season stopped: 30 % of 2,230.20 = 669.06.
    run = billing.start_run(YEAR, actor=None, now=at(10, 3))
    billing.generate_bills(run.pk, now=at(10, 3))
    assert current_bill(lei).total == D("669.06")
    # Stopping again is refused; resuming opens the valve.
    with pytest.raises(ValidationError, match="未供热"):
        services.apply_for_heat(
            home.pk, ApplicationKind.STOP, actor=staffers["agent"], now=at(10, 5)
        )
    with pytest.raises(ValidationError, match="未停热"):
        services.apply_for_heat(
            premises_of(han).pk, ApplicationKind.RESUME, actor=staffers["agent"], now=at(10, 5)
        )


def test_an_issued_bill_is_reissued_within_authority_or_waits_for_approval(staffers, customers):
    run = billing.start_run(YEAR, actor=None, now=at(10, 1))
    billing.generate_bills(run.pk, now=at(10, 1))
    lei = customers["east"]
    application = services.apply_for_heat(
        premises_of(lei).pk, ApplicationKind.STOP, actor=staffers["clerk"], now=at(10, 10)
    )
    resolve(application.work_order, staffers, at(10, 11))
    application.refresh_from_db()
    correction = application.correction
    # 2,230.20 → 669.06: beyond a clerk's 50 yuan, it waits for someone with enough.
    assert (correction.old_total, correction.new_total) == (D("2230.20"), D("669.06"))
    assert correction.status == CorrectionStatus.PENDING
    assert current_bill(lei).total == D("2230.20")
    corrections.decide_correction(correction.pk, True, actor=staffers["deputy"], now=at(10, 12))
    assert current_bill(lei).total == D("669.06")
    # Resumed before the season: the new bill is the full fee again (another correction).
    resume = services.apply_for_heat(
        premises_of(lei).pk, ApplicationKind.RESUME, actor=staffers["clerk"], now=at(10, 13)
    )
    resolve(resume.work_order, staffers, at(10, 14))
    assert premises_of(lei).status == SupplyStatus.SUPPLIED
    stop = HeatStop.objects.get(premises=premises_of(lei))
    assert stop.resumed_on == date(2026, 11, 15)  # not one day stopped
    resume.refresh_from_db()
    assert resume.correction.new_total == D("2230.20")


def test_an_agents_application_leaves_the_bill_to_a_billing_clerk(staffers, customers):
    run = billing.start_run(YEAR, actor=None, now=at(10, 1))
    billing.generate_bills(run.pk, now=at(10, 1))
    lei = customers["east"]
    application = services.apply_for_heat(
        premises_of(lei).pk, ApplicationKind.STOP, actor=staffers["agent"], now=at(10, 10)
    )
    resolve(application.work_order, staffers, at(10, 11))
    application.refresh_from_db()
    assert application.correction is None and "收费员" in application.bill_note
    with pytest.raises(PermissionDenied):
        services.reissue_bill(application.pk, actor=staffers["agent"], now=at(10, 12))
    application = services.reissue_bill(application.pk, actor=staffers["clerk"], now=at(10, 12))
    assert application.correction.status == CorrectionStatus.PENDING
    assert application.correction.requested_by == staffers["clerk"]


def test_only_agents_and_clerks_record_applications(staffers, customers):
    with pytest.raises(PermissionDenied):
        services.apply_for_heat(
            premises_of(customers["east"]).pk,
            ApplicationKind.STOP,
            actor=staffers["tech"],
            now=at(10, 1),
        )
