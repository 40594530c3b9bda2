"""make_city's indoor temperature season: signed records consistent with the method, a
plausible spread of temperatures, instruments and monitoring points; a second run adds
nothing."""

from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count
from django.utils.dateparse import parse_datetime

from utilitydesk.customers.models import Premises
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.policy import services as sla_services
from utilitydesk.temperature import method
from utilitydesk.temperature.models import (
    Instrument,
    InstrumentKind,
    Measurement,
    MonitoringPoint,
    Reading,
    RefundCredit,
)

pytestmark = pytest.mark.django_db

NOW = parse_datetime("2026-12-20T09:00:00+08:00")


def _city(measurements: int) -> None:
    call_command(
        "make_city",
        "--customers=1000",
        "--cases=300",
        "--open=20",
        f"--measurements={measurements}",
        "--now=2026-12-20T09:00:00+08:00",
        verbosity=0,
    )


def test_a_season_of_signed_records_consistent_with_the_method():
    sla_services.reset_caches()
    _city(1200)
    records = Measurement.objects.filter(valid=True)
    assert records.count() == 1200
    assert set(records.values_list("season", flat=True)) == {2026}
    assert not records.filter(signature="").exists()
    assert not records.filter(signed_at__isnull=True).exists()
    assert default_storage.exists(records.first().signature.name)
    assert not records.filter(measured_at__gt=NOW).exists()
    # Every station with homes measured; each station has registered contact thermometers.
    with_homes = set(
        Premises.objects.filter(station__isnull=False).values_list("station", flat=True)
    )
    assert set(records.order_by().values_list("station", flat=True).distinct()) == with_homes
    stations = OrgUnit.objects.filter(kind=UnitKind.STATION).count()
    assert Instrument.objects.filter(kind=InstrumentKind.CONTACT).count() >= 2 * stations
    # Rooms: 1–4 per record, each with the method's points and its mean.
    per_record = records.annotate(n=Count("rooms")).values_list("n", flat=True)
    assert set(per_record) <= {1, 2, 3, 4} and len(set(per_record)) >= 3
    for m in records.prefetch_related("rooms__readings")[:200]:
        results = []
        for r in m.rooms.all():
            values = [x.celsius for x in r.readings.all()]
            assert len(values) == r.points_required == method.points_required(r.area_m2)
            assert r.celsius == method.room_celsius(values)
            results.append(method.RoomResult(r.kind, r.area_m2, r.celsius))
        home = method.home_celsius(results, {"bedroom", "living_room"}, "mean")
        assert m.home_celsius == home and m.passed == (home >= Decimal("18.0"))
    # Most homes 18–22 °C, about 8 % below 18 °C.
    cold = records.filter(passed=False).count() / 1200
    assert 0.04 <= cold <= 0.13
    warm = records.filter(home_celsius__gte=18, home_celsius__lte=22).count() / 1200
    assert warm > 0.8
    # Failed homes (not monitoring points) have their credits at the band's share.
    for credit in RefundCredit.objects.select_related("measurement")[:50]:
        assert not credit.measurement.passed
        assert credit.share == method.refund_share(
            credit.celsius,
            method.parse_bands(sla_services.current_policy().temperature_refund_bands),
        )
    # About 1 % of the homes are monitoring points; their visits are recorded as such.
    assert MonitoringPoint.objects.filter(active=True).count() >= 10
    assert not records.filter(monitoring_point__isnull=False).exclude(purpose="monitoring").exists()

    counts = (Measurement.objects.count(), Reading.objects.count(), RefundCredit.objects.count())
    _city(1200)
    assert (
        Measurement.objects.count(),
        Reading.objects.count(),
        RefundCredit.objects.count(),
    ) == counts
