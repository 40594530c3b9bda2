"""make_city: a consistent synthetic city (small here; the benchmark makes a big one)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from utilitydesk.area.models import PipeSection, Source, Substation
from utilitydesk.callbacks.models import CallbackTask
from utilitydesk.cases.models import OPEN_STATUSES, Case, CaseDeadline, CaseEvent, Contact
from utilitydesk.cases.sweeper import sweep
from utilitydesk.complaints.models import Complaint
from utilitydesk.customers.models import Customer, Premises
from utilitydesk.kpis.selectors import rates
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.policy import services as sla_services

pytestmark = pytest.mark.django_db

NOW = parse_datetime("2026-11-23T09:00:00+08:00")


@pytest.fixture
def city():
    sla_services.reset_caches()
    call_command(
        "make_city",
        "--customers=1500",
        "--cases=4000",
        "--open=200",
        "--now=2026-11-23T09:00:00+08:00",
        verbosity=0,
    )


def test_city_has_the_asked_volumes_and_a_second_run_adds_nothing(city):
    assert Customer.objects.filter(account_no__startswith="8").count() == 1500
    assert Case.objects.count() == 4000
    assert Case.objects.filter(status__in=OPEN_STATUSES).count() == 200
    counts = (
        Customer.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Source.objects.count(),
        PipeSection.objects.count(),
    )
    call_command(
        "make_city",
        "--customers=1500",
        "--cases=4000",
        "--open=200",
        "--now=2026-11-23T09:00:00+08:00",
        verbosity=0,
    )
    assert (
        Customer.objects.count(),
        Case.objects.count(),
        CaseEvent.objects.count(),
        Source.objects.count(),
        PipeSection.objects.count(),
    ) == counts


def test_heat_sources_feed_every_substation_through_a_pipe_section(city):
    # About one heat source per 100,000 customers, never fewer than the demo's two.
    assert Source.objects.filter(utility="heat").count() == 2
    assert Substation.objects.count() > 2 * 6
    assert not Substation.objects.filter(source__isnull=True).exists()
    # Spread evenly: no source feeds more than its share (rounded up).
    fed = Substation.objects.values("source").annotate(n=Count("id")).values_list("n", flat=True)
    assert max(fed) - min(fed) <= 1
    piped = PipeSection.objects.filter(to_substation__isnull=False)
    assert piped.values("to_substation").distinct().count() == Substation.objects.count()
    assert piped.exclude(from_source=F("to_substation__source")).count() == 0
    assert Premises.objects.filter(building__substation__source__isnull=True).count() == 0


def test_every_case_is_consistent_with_its_customer_timeline_and_deadlines(city):
    # Repairs go to the station serving the caller's premises, and the address is theirs.
    repairs = Case.objects.filter(kind="repair")
    assert repairs.exclude(responsible_unit_id=F("premises__station_id")).count() == 0
    assert Case.objects.exclude(address_text=F("premises__address_text")).count() == 0
    # Each case has its intake contact and a timeline ending at its last event number.
    assert Contact.objects.filter(case__isnull=False).count() == Case.objects.count()
    last = dict(
        CaseEvent.objects.values("case_id").annotate(top=Max("seq")).values_list("case_id", "top")
    )
    assert all(last[c] == seq for c, seq in Case.objects.values_list("pk", "last_event_seq"))
    assert set(CaseEvent.objects.filter(seq=1).values_list("action", flat=True)) == {"registered"}
    closed = Case.objects.filter(status="closed")
    assert closed.filter(resolved_at__lt=F("received_at")).count() == 0
    assert closed.filter(closed_at__lt=F("resolved_at")).count() == 0
    assert set(closed.values_list("events__action", flat=True)) >= {"resolve", "close"}
    # A deadline is met when it was done in time, breached when late.
    done = CaseDeadline.objects.filter(met_at__isnull=False)
    assert done.filter(state="met", met_at__gt=F("due_at")).count() == 0
    assert done.filter(state="breached", met_at__lte=F("due_at")).count() == 0
    assert done.filter(state="met").count() > done.filter(state="breached").count() > 0


def test_history_peaks_at_season_start_with_callbacks_and_complaints(city):
    history = Case.objects.exclude(status__in=OPEN_STATUSES)
    by_month = {
        (r["received_at__month"]): r["n"]
        for r in history.values("received_at__month").annotate(n=Count("id"))
    }
    assert set(by_month) <= {11, 12, 1, 2, 3}
    assert by_month[11] > by_month[2] and by_month[12] > by_month[3]
    assert (
        CallbackTask.objects.filter(case__kind="repair").count()
        == history.filter(kind="repair", status="closed").count()
    )
    assert Complaint.objects.count() == Case.objects.filter(kind="complaint").count() > 0
    station = OrgUnit.objects.filter(kind=UnitKind.STATION).order_by("pk").first()
    start = parse_datetime("2025-11-01T00:00:00+08:00")
    figures = rates(station, start, start + timedelta(days=30))
    assert figures.cases_received > 0
    assert 0.8 < figures.callback_rate <= 1
    assert 0.8 < figures.satisfaction_rate < 1


def test_open_cases_wait_at_their_stations_and_the_sweeper_has_nothing_due(city):
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    assert open_cases.filter(received_at__gt=NOW).count() == 0
    assert open_cases.filter(received_at__lt=NOW - timedelta(hours=48)).count() == 0
    assert set(open_cases.values_list("status", flat=True)) == {
        "dispatched",
        "accepted",
        "booked",
        "on_site",
    }
    assert open_cases.filter(next_check_at__lte=NOW).count() == 0
    assert sweep(NOW)["checked"] == 0
    later = sweep(NOW + timedelta(hours=2))
    assert later["checked"] > 0


def test_bad_arguments_are_refused_with_a_message():
    with pytest.raises(CommandError, match="--open"):
        call_command("make_city", "--customers=10", "--cases=5", "--open=6", verbosity=0)
    with pytest.raises(CommandError, match="--now"):
        call_command("make_city", "--customers=10", "--now=yesterday", verbosity=0)
    assert not Premises.objects.exists()
    assert timezone.now()
