"""Seeing an incident before anyone reports it (issue 13 part 6): a burst of no-supply
calls from one substation or building raises one suspected incident, the station's
dispatchers and head are alerted, and it is confirmed into an interruption or dismissed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.concurrency import run_together
from tests.factories import BuildingFactory, is_postgres, make_customer, open_case, staff
from utilitydesk.cases.models import Case
from utilitydesk.notifications.models import Channel, Message
from utilitydesk.org.models import Position
from utilitydesk.outages import detection
from utilitydesk.outages import interruptions as services
from utilitydesk.outages.detection_selectors import count_calls
from utilitydesk.outages.models import (
    IncidentSignal,
    Interruption,
    InterruptionKind,
    SignalPlace,
    SignalState,
)
from utilitydesk.policy import services as policy_services
from utilitydesk.policy.models import PolicyVersion

from .conftest import NOW, burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(org):
    """Set the published policy's thresholds (substation, building) and window."""

    def set_limits(substation: int = 5, building: int = 3, window: int = 30) -> None:
        PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).update(
            incident_calls_threshold=substation,
            incident_building_calls_threshold=building,
            incident_window_minutes=window,
        )
        policy_services.reset_caches()

    return set_limits


@pytest.fixture
def street(net, area, customers):
    """Seven households on the east substation: four in 1号楼 (the fixture's), three in a
    second building, 2号楼; and 韩梅梅 on the west substation."""
    second = BuildingFactory(name="2号楼", substation=net["east_sub"])
    return {
        "one": [customers["east"], *net["extra"]],
        "two": [make_customer(second, f"30{i}", phones=(f"1360000000{i}",)) for i in range(3)],
        "second": second,
        "west": customers["west"],
    }


@pytest.fixture
def call(people):
    """A no-supply call taken at intake, then the background detection job run at the
    call's moment (the intake itself counts nothing)."""

    def take(customer, *, at=NOW, kind="repair", **kw):
        case = open_case(people["agent"], customer, kind=kind, now=at, **kw)
        detection.detect_calls(now=at)
        return case

    return take


def test_the_intake_counts_nothing_until_the_job_runs(net, people, street, limits):
    limits(substation=2, building=0)
    for customer in street["two"][:2]:
        open_case(people["agent"], customer, now=NOW)
    assert not signals().exists()
    assert [s.place_kind for s in detection.detect_calls(now=NOW)] == [SignalPlace.SUBSTATION]
    # Run again: the open signal is brought up to date, nothing raised twice.
    assert detection.detect_calls(now=NOW + timedelta(minutes=1)) == []
    assert signals().count() == 1


def signals(**kw):
    return IncidentSignal.objects.filter(**kw)


def alerts(signal):
    return Message.objects.filter(channel=Channel.INBOX, reference=f"incident-signal:{signal.pk}")


# --- raising -------------------------------------------------------------------------------


def test_the_substation_threshold_raises_one_signal_and_alerts_dispatcher_and_head(
    net, people, street, limits, call
):
    limits(substation=4, building=0)
    call(street["one"][0], at=NOW - timedelta(minutes=20))
    call(street["two"][0], at=NOW - timedelta(minutes=10))
    call(street["one"][1], at=NOW - timedelta(minutes=5))
    assert not signals().exists()
    call(street["two"][1], kind="temperature", at=NOW)
    signal = signals().get()
    assert signal.place_kind == SignalPlace.SUBSTATION
    assert signal.substation == net["east_sub"] and signal.station.code == "E"
    assert signal.state == SignalState.OPEN and signal.calls == 4 and signal.threshold == 4
    assert signal.first_call_at == NOW - timedelta(minutes=20) and signal.last_call_at == NOW
    told = set(alerts(signal).values_list("recipient__username", flat=True))
    assert told == {"dispatcher", "head_east"}
    message = alerts(signal).first()
    assert net["east_sub"].name in message.subject
    assert message.link == reverse("outages:signal", args=[signal.pk])

    # A later call raises its count, not a second signal or message.
    call(street["two"][2], at=NOW + timedelta(minutes=2))
    signal.refresh_from_db()
    assert signals().count() == 1 and signal.calls == 5
    assert signal.last_call_at == NOW + timedelta(minutes=2)
    assert alerts(signal).count() == 2


def test_the_building_threshold_raises_a_building_signal(net, street, limits, call):
    limits(substation=0, building=3)
    for minutes, customer in zip((12, 6, 0), street["two"], strict=True):
        call(customer, at=NOW - timedelta(minutes=minutes))
    signal = signals().get()
    assert signal.place_kind == SignalPlace.BUILDING and signal.building == street["second"]
    assert signal.substation is None and signal.station.code == "E"
    assert alerts(signal).count() == 2


def test_below_the_threshold_nothing(net, street, limits, call):
    limits(substation=4, building=3)
    call(street["one"][0])
    call(street["two"][0])
    call(street["two"][1])
    assert not signals().exists()
    assert not Message.objects.filter(reference__startswith="incident-signal:").exists()


def test_calls_outside_the_window_do_not_count(net, street, limits, call):
    limits(substation=3, building=0, window=30)
    call(street["one"][0], at=NOW - timedelta(minutes=45))
    call(street["one"][1], at=NOW - timedelta(minutes=31))
    call(street["two"][0], at=NOW)
    call(street["two"][1], at=NOW + timedelta(minutes=1))
    assert not signals().exists()
    # A call recorded now but received before the window does not count either.
    call(
        street["two"][2],
        at=NOW + timedelta(minutes=2),
        channel="gov_12345",
        received_at=NOW - timedelta(hours=2),
    )
    assert not signals().exists()


def test_one_household_calling_again_counts_once(net, street, limits, call):
    limits(substation=0, building=2)
    call(street["one"][0], at=NOW - timedelta(minutes=3))
    call(street["one"][0], at=NOW)
    assert not signals().exists()
    call(street["one"][1], at=NOW + timedelta(minutes=1))
    assert signals().get().calls == 2


def test_other_kinds_of_call_do_not_count(net, street, limits, call):
    limits(substation=0, building=2)
    call(street["one"][0], kind="complaint")
    call(street["one"][1], kind="consultation")
    assert not signals().exists()


def test_a_building_inside_an_active_interruption_raises_nothing(net, people, street, limits, call):
    limits(substation=3, building=2)
    interruption = burst(
        net, substation_ids=[], building_ids=[net["east_sub"].buildings.first().pk]
    )
    services.announce(interruption.pk, actor=net["dispatcher"], now=NOW - timedelta(minutes=5))
    # One caller linked to it (held), two others not: none of them count, and the building
    # is inside the interruption.
    call(street["one"][0], reaction_data={"interruption": interruption.pk})
    call(street["one"][1])
    call(street["one"][2])
    assert Case.objects.filter(interruption_links__isnull=False).count() == 1
    assert not signals().exists()
    # The calls of 2号楼 on the same substation are not explained by it: they count.
    limits(substation=2, building=0)
    call(street["two"][0])
    call(street["two"][1])
    signal = signals().get()
    assert signal.place_kind == SignalPlace.SUBSTATION and signal.calls == 2


def test_a_substation_inside_an_active_interruption_raises_nothing(net, street, limits, call):
    limits(substation=2, building=0)
    # An interruption over the whole source, announced before the calls: no signal.
    draft = burst(net, substation_ids=[], source_ids=[net["source"].pk])
    services.announce(draft.pk, actor=net["dispatcher"], now=NOW - timedelta(minutes=5))
    call(street["two"][0])
    call(street["two"][1])
    call(street["one"][0])
    assert not signals().exists()


def test_a_building_signal_waits_for_an_open_substation_signal(net, street, limits, call):
    limits(substation=2, building=2)
    call(street["two"][0], at=NOW - timedelta(minutes=1))
    call(street["two"][1], at=NOW)
    # Both places pass together: the substation's signal covers the building.
    assert list(signals().values_list("place_kind", flat=True)) == [SignalPlace.SUBSTATION]


def test_the_count_is_one_query(net, street, limits, call):
    limits(substation=50, building=50)
    for customer in street["two"]:
        call(customer)
    with CaptureQueriesContext(connection) as queries:
        found = count_calls(
            building_id=street["second"].pk,
            substation_id=net["east_sub"].pk,
            now=NOW,
            window=timedelta(minutes=30),
        )
    assert len(queries) == 1
    assert (found.building.calls, found.substation.calls) == (3, 3)


def test_detection_is_off_with_zero_thresholds(net, street, limits, call):
    limits(substation=0, building=0)
    for customer in street["one"]:
        call(customer)
    assert not signals().exists()


# --- deciding ----------------------------------------------------------------------------------


def raise_substation_signal(street, limits, call):
    limits(substation=3, building=0)
    for minutes, customer in zip((9, 4, 0), [street["one"][0], *street["two"][:2]], strict=True):
        call(customer, at=NOW - timedelta(minutes=minutes))
    return signals().get()


def test_dismissed_with_a_reason_and_quiet_for_one_window(net, people, street, limits, call):
    signal = raise_substation_signal(street, limits, call)
    with pytest.raises(ValidationError):
        detection.dismiss_signal(signal.pk, reason=" ", actor=net["dispatcher"], now=NOW)
    detection.dismiss_signal(
        signal.pk, reason="个别阀门问题，已派修", actor=net["dispatcher"], now=NOW
    )
    signal.refresh_from_db()
    assert signal.state == SignalState.DISMISSED and signal.decided_by == net["dispatcher"]
    assert signal.dismiss_reason == "个别阀门问题，已派修"
    with pytest.raises(ValidationError):
        detection.dismiss_signal(signal.pk, reason="again", actor=net["dispatcher"], now=NOW)
    # More calls within the window: no new signal; a burst after it: a new one.
    call(street["two"][2], at=NOW + timedelta(minutes=5))
    assert signals().count() == 1
    later = NOW + timedelta(minutes=45)
    for i, customer in enumerate(street["one"][1:]):
        call(customer, at=later + timedelta(minutes=i))
    assert signals().count() == 2
    assert signals(state=SignalState.OPEN).get().calls == 3


def test_confirm_opens_the_form_filled_in_and_links_the_interruption(
    net, people, street, limits, call, client
):
    signal = raise_substation_signal(street, limits, call)
    building_signal = IncidentSignal.objects.create(
        place_kind=SignalPlace.BUILDING,
        place_key=f"building:{street['second'].pk}",
        building=street["second"],
        calls=3,
        threshold=3,
        window_minutes=30,
        first_call_at=NOW,
        last_call_at=NOW,
        raised_at=NOW,
    )
    client.force_login(net["dispatcher"])
    page = client.get(reverse("outages:signal_confirm", args=[signal.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["substations"] == [net["east_sub"].pk]
    assert form.initial["planned"] == "0"
    assert form.initial["kind"] == InterruptionKind.OTHER
    assert form.initial["start_at"] == signal.first_call_at
    assert net["east_sub"].name in form.initial["title"]
    assert f'value="{net["east_sub"].pk}" selected' in page.content.decode()

    posted = client.post(
        reverse("outages:signal_confirm", args=[signal.pk]),
        {
            "planned": "0",
            "utility": "heat",
            "kind": "pipe_burst",
            "title": "城东换热站二次网爆管",
            "description": "来电集中",
            "start_at": f"{timezone.localtime():%Y-%m-%dT%H:%M}",
            "expected_restoration_at": f"{timezone.localtime() + timedelta(hours=8):%Y-%m-%dT%H:%M}",
            "substations": [net["east_sub"].pk],
        },
    )
    assert posted.status_code == 302, posted.context["form"].errors
    interruption = Interruption.objects.get()
    assert posted.status_code == 302 and posted.url == interruption.get_absolute_url()
    assert interruption.state == "draft" and not interruption.planned
    assert list(interruption.substations.all()) == [net["east_sub"]]
    signal.refresh_from_db()
    assert signal.state == SignalState.CONFIRMED and signal.interruption == interruption
    assert signal.decided_by == net["dispatcher"]
    # The open signal of a building of that substation goes with it.
    building_signal.refresh_from_db()
    assert building_signal.state == SignalState.CONFIRMED
    assert building_signal.interruption == interruption
    # Decided: the form is not offered again.
    again = client.get(reverse("outages:signal_confirm", args=[signal.pk]))
    assert again.status_code == 302
    # While its interruption is a draft or running, the place stays quiet.
    for i, customer in enumerate(street["two"][2:] + street["one"][1:]):
        call(customer, at=NOW + timedelta(hours=2, minutes=i))
    assert signals(state=SignalState.OPEN).count() == 0


def test_a_refused_interruption_leaves_the_signal_open(net, street, limits, call):
    signal = raise_substation_signal(street, limits, call)
    bad = services.InterruptionInput(
        kind="pipe_burst",
        title="",
        start_at=NOW,
        expected_restoration_at=NOW + timedelta(hours=4),
        substation_ids=[net["east_sub"].pk],
    )
    with pytest.raises(ValidationError):
        detection.confirm_signal(signal.pk, bad, actor=net["dispatcher"], now=NOW)
    signal.refresh_from_db()
    assert signal.state == SignalState.OPEN and not Interruption.objects.exists()


def test_the_pages_list_show_and_dismiss(net, people, street, limits, call, client):
    signal = raise_substation_signal(street, limits, call)
    client.force_login(net["dispatcher"])
    listing = client.get(reverse("outages:signals"))
    assert listing.status_code == 200 and net["east_sub"].name in listing.content.decode()
    assert reverse("outages:signal_confirm", args=[signal.pk]) in listing.content.decode()
    detail = client.get(reverse("outages:signal", args=[signal.pk]))
    assert detail.status_code == 200
    assert len(detail.context["calls"]) == 3
    # The proposed scope: the substation's seven households.
    assert detail.context["preview"].premises == 7
    refused = client.post(reverse("outages:signal_dismiss", args=[signal.pk]), {"reason": ""})
    assert refused.status_code == 302
    assert IncidentSignal.objects.get(pk=signal.pk).state == SignalState.OPEN
    client.post(reverse("outages:signal_dismiss", args=[signal.pk]), {"reason": "测温正常"})
    assert IncidentSignal.objects.get(pk=signal.pk).state == SignalState.DISMISSED
    assert (
        "测温正常" in client.get(reverse("outages:signals") + "?state=dismissed").content.decode()
    )


# --- permissions ---------------------------------------------------------------------------------


def test_who_sees_and_who_decides(net, people, org, street, limits, call, client):
    signal = raise_substation_signal(street, limits, call)
    head_west = staff("head_west", Position.STATION_HEAD, org["west"])
    # The agent sees it (to answer callers) but does not decide it.
    client.force_login(people["agent"])
    assert client.get(reverse("outages:signal", args=[signal.pk])).status_code == 200
    assert client.get(reverse("outages:signal_confirm", args=[signal.pk])).status_code == 403
    assert (
        client.post(reverse("outages:signal_dismiss", args=[signal.pk]), {"reason": "x"})
    ).status_code == 403
    with pytest.raises(PermissionDenied):
        detection.dismiss_signal(signal.pk, reason="x", actor=people["agent"], now=NOW)
    # The other station's head neither sees nor decides it.
    client.force_login(head_west)
    assert client.get(reverse("outages:signal", args=[signal.pk])).status_code == 404
    assert client.get(reverse("outages:signal_confirm", args=[signal.pk])).status_code == 404
    assert signal.pk not in [s.pk for s in client.get(reverse("outages:signals")).context["page"]]
    with pytest.raises(IncidentSignal.DoesNotExist):
        detection.dismiss_signal(signal.pk, reason="x", actor=head_west, now=NOW)
    # A technician sees no interruptions, so no signals.
    client.force_login(people["tech"])
    assert client.get(reverse("outages:signals")).status_code == 403
    # The station's own head decides it.
    detection.dismiss_signal(
        signal.pk, reason="换热站已确认正常", actor=people["head_east"], now=NOW
    )
    assert IncidentSignal.objects.get(pk=signal.pk).state == SignalState.DISMISSED


def test_dispatchers_at_the_station_are_told_instead_of_the_whole_company(net, people, org):
    at_station = staff("station_dispatcher", Position.DISPATCHER, org["east"])
    told = {p.username for p in detection.recipients(org["east"])}
    assert told == {"head_east", "station_dispatcher"}
    assert {p.username for p in detection.recipients(org["west"])} == {"dispatcher"}
    assert {p.username for p in detection.recipients(None)} == {"dispatcher"}
    assert at_station.username not in {p.username for p in detection.recipients(org["west"])}


# --- two calls at once (PostgreSQL: the unique open signal and the row lock) ------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not is_postgres(), reason="concurrency is proved on PostgreSQL")
def test_two_calls_at_once_raise_one_signal(net, people, street, limits):
    limits(substation=4, building=0)
    now = timezone.now()
    for minutes, customer in ((3, street["one"][0]), (2, street["one"][1])):
        open_case(people["agent"], customer, now=now - timedelta(minutes=minutes))
    # The third and fourth calls at the same moment, then two detection jobs at once: one
    # signal, one message per person.
    results = run_together([lambda c=c: open_case(people["agent"], c) for c in street["two"][:2]])
    assert [r[0] for r in results] == ["ok", "ok"], results
    results = run_together([lambda: detection.detect_calls(now=timezone.now())] * 2)
    assert sorted(len(r[1]) for r in results) == [0, 1], results
    signal = signals().get()
    assert signal.calls == 4
    assert alerts(signal).count() == 2

    # The detection job run three times at once over two buildings past their threshold:
    # each raised once, by whichever run came first.
    detection.dismiss_signal(signal.pk, reason="已核实", actor=net["dispatcher"], now=now)
    limits(substation=0, building=2)
    later = timezone.now()
    results = run_together([lambda: detection.detect_calls(now=later)] * 3)
    assert [r[0] for r in results] == ["ok"] * 3, results
    assert sum(len(r[1]) for r in results) == 2
    assert signals(place_kind=SignalPlace.BUILDING).count() == 2
    raised = signals(place_kind=SignalPlace.BUILDING, building=street["second"]).get()
    assert raised.calls == 2 and alerts(raised).count() == 2
