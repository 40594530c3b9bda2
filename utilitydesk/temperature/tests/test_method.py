"""The measuring method's arithmetic as properties (hypothesis) and its exact boundaries:
points per room, a room's and a home's temperature, the refund bands, the heating season,
the affected days and the fee fraction of a refund; and that no path stores a valid record
without the customer's signature."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from utilitydesk.cases.models import Case, Status
from utilitydesk.policy.defaults import default_refund_bands
from utilitydesk.temperature import method, services
from utilitydesk.temperature.models import (
    MeasuredRoom,
    Measurement,
    Reading,
    RefundCredit,
    RoomKind,
)

from .conftest import LOCAL, NOW, on_site, record_input, room

# --- strategies ------------------------------------------------------------------------------

areas = st.decimals(min_value="0.50", max_value="1000.00", places=2)
tenths = st.decimals(min_value="-30.0", max_value="45.0", places=1)
kinds = st.sampled_from(RoomKind.values)
rooms = st.builds(method.RoomResult, kind=kinds, area_m2=areas, celsius=tenths)
counted_sets = st.sets(kinds, max_size=len(RoomKind.values))
seasons = st.integers(min_value=2000, max_value=2090)


@st.composite
def well_formed_bands(draw) -> list[dict[str, str]]:
    """Thresholds and shares as the policy admin types them (strings, any order), each
    colder band refunding at least as much as the warmer ones."""
    thresholds = draw(
        st.lists(
            st.decimals(min_value="5.0", max_value="25.0", places=1),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    shares = draw(
        st.lists(
            st.decimals(min_value="0", max_value="1", places=2),
            min_size=len(thresholds),
            max_size=len(thresholds),
        )
    )
    paired = zip(sorted(thresholds), sorted(shares, reverse=True), strict=True)
    raw = [{"below": str(below), "share": str(share)} for below, share in paired]
    random.Random(draw(st.integers(0, 1000))).shuffle(raw)  # nosec B311: test order
    return raw


# --- points per room (R-703) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "points"),
    [
        ("0.5", 1),
        ("15.99", 1),
        ("16", 2),
        ("16.00", 2),
        ("29.99", 2),
        ("30", 3),
        ("59.99", 3),
        ("60", 5),
        ("60.00", 5),
        ("1000", 5),
    ],
)
def test_points_at_the_boundaries(area, points):
    assert method.points_required(Decimal(area)) == points


@given(areas)
def test_points_follow_the_room_size(area):
    expected = 1 if area < 16 else 2 if area < 30 else 3 if area < 60 else 5
    assert method.points_required(area) == expected


@given(areas, areas)
def test_a_larger_room_never_needs_fewer_points(a, b):
    small, large = sorted((a, b))
    assert method.points_required(small) <= method.points_required(large)


# --- the room's temperature ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        (["18.0", "18.1"], "18.1"),  # 18.05 rounds half up
        (["-0.1", "0.0"], "-0.1"),  # -0.05: half away from zero
        (["17.9", "18.0", "18.0"], "18.0"),  # 17.966…
        (["18.0", "18.0", "18.1"], "18.0"),  # 18.033…
        (["20.2", "20.2", "20.3", "20.3", "20.4"], "20.3"),  # 20.28
        (["16.5"], "16.5"),
    ],
)
def test_room_temperature_rounds_half_up_to_a_tenth(readings, expected):
    assert method.room_celsius([Decimal(r) for r in readings]) == Decimal(expected)


def test_a_room_without_readings_is_an_error():
    with pytest.raises(ValueError):
        method.room_celsius([])


@given(st.lists(tenths, min_size=1, max_size=5))
def test_room_temperature_is_the_mean_to_a_tenth(readings):
    result = method.room_celsius(readings)
    mean = sum(readings, Decimal("0")) / len(readings)
    assert result.as_tuple().exponent == -1
    assert abs(result - mean) <= Decimal("0.05")
    assert min(readings) <= result <= max(readings)


# --- the home's temperature ------------------------------------------------------------------


def _counted(home_rooms, kinds_counted):
    return [r for r in home_rooms if r.kind in kinds_counted] or home_rooms


@given(st.lists(rooms, min_size=1, max_size=8), counted_sets)
def test_the_home_lies_between_its_coldest_and_warmest_counted_room(home_rooms, kinds_counted):
    counted = _counted(home_rooms, kinds_counted)
    home = method.home_celsius(home_rooms, kinds_counted, "mean")
    assert min(r.celsius for r in counted) <= home <= max(r.celsius for r in counted)
    assert home.as_tuple().exponent == -1


@given(st.lists(rooms, min_size=1, max_size=8), counted_sets)
def test_the_lowest_rule_takes_the_coldest_counted_room(home_rooms, kinds_counted):
    home = method.home_celsius(home_rooms, kinds_counted, "lowest")
    assert home == min(r.celsius for r in _counted(home_rooms, kinds_counted))
    assert home <= method.home_celsius(home_rooms, kinds_counted, "mean")


@given(st.lists(rooms, min_size=1, max_size=6), rooms, st.sampled_from(["mean", "lowest"]))
def test_a_room_not_counted_does_not_move_the_home(home_rooms, extra, rule):
    counted = {"bedroom", "living_room"}
    assume(any(r.kind in counted for r in home_rooms) and extra.kind not in counted)
    before = method.home_celsius(home_rooms, counted, rule)
    assert method.home_celsius([*home_rooms, extra], counted, rule) == before


@given(st.lists(rooms, min_size=1, max_size=6), tenths)
def test_rooms_all_at_one_temperature_make_that_home(home_rooms, celsius):
    same = [method.RoomResult(r.kind, r.area_m2, celsius) for r in home_rooms]
    for rule in ("mean", "lowest"):
        assert method.home_celsius(same, {"bedroom", "living_room"}, rule) == celsius


def test_home_worked_example_and_the_fallback_to_every_room():
    three = [
        method.RoomResult("bedroom", Decimal("12.5"), Decimal("18.6")),
        method.RoomResult("living_room", Decimal("24"), Decimal("18.3")),
        method.RoomResult("bedroom", Decimal("35"), Decimal("18.1")),
        method.RoomResult("kitchen", Decimal("8"), Decimal("12.0")),  # not counted
    ]
    assert method.home_celsius(three, {"bedroom", "living_room"}, "mean") == Decimal("18.3")
    assert method.home_celsius(three, {"bedroom", "living_room"}, "lowest") == Decimal("18.1")
    # No bedroom or living room measured: every room counts.
    kitchens = [
        method.RoomResult("kitchen", Decimal("10"), Decimal("16.0")),
        method.RoomResult("study", Decimal("10"), Decimal("18.0")),
    ]
    assert method.home_celsius(kitchens, {"bedroom", "living_room"}, "mean") == Decimal("17.0")
    with pytest.raises(ValueError):
        method.home_celsius([], {"bedroom"}, "mean")


# --- refund bands (R-706) --------------------------------------------------------------------

DEFAULT_BANDS = method.parse_bands(default_refund_bands())


@pytest.mark.parametrize(
    ("celsius", "share"),
    [
        ("25.0", "0"),
        ("18.0", "0"),
        ("17.99", "0.20"),
        ("16.01", "0.20"),
        ("16.0", "0.20"),
        ("15.99", "0.50"),
        ("14.0", "0.50"),
        ("13.99", "1.00"),
        ("-5.0", "1.00"),
    ],
)
def test_the_shipped_bands_at_their_boundaries(celsius, share):
    assert method.refund_share(Decimal(celsius), DEFAULT_BANDS) == Decimal(share)


def test_the_shipped_bands_are_sorted_lowest_threshold_first():
    assert [b.below for b in DEFAULT_BANDS] == [Decimal("14.0"), Decimal("16.0"), Decimal("18.0")]


@pytest.mark.parametrize("share", ["-0.01", "1.01", "2"])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError):
        method.parse_bands([{"below": "18.0", "share": share}])


@given(well_formed_bands(), tenths, tenths)
def test_a_warmer_home_never_gets_a_larger_share(raw, a, b):
    bands = method.parse_bands(raw)
    colder, warmer = sorted((a, b))
    assert method.refund_share(colder, bands) >= method.refund_share(warmer, bands)


@given(well_formed_bands(), tenths)
def test_the_share_is_a_band_share_and_nothing_above_every_threshold(raw, celsius):
    bands = method.parse_bands(raw)
    share = method.refund_share(celsius, bands)
    assert share in {b.share for b in bands} | {Decimal("0")}
    if celsius >= max(b.below for b in bands):
        assert share == 0
    assert method.parse_bands(list(reversed(raw))) == bands  # order of entry does not matter


# --- the heating season ----------------------------------------------------------------------


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL)


@given(seasons, st.integers(min_value=0, max_value=130), st.integers(min_value=0, max_value=23))
def test_every_day_of_a_season_belongs_to_it(season, offset, hour):
    start, end = method.season_bounds(season, "11-15", "03-20")
    day = start + timedelta(days=offset)
    assume(day <= end)
    assert method.season_of(_at(day, hour), "11-15") == season


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_a_day_outside_the_season_belongs_to_the_one_ended_or_the_one_coming(day):
    season = method.season_of(_at(day), "11-15")
    start, end = method.season_bounds(season, "11-15", "03-20")
    if start <= day <= end:
        return
    # Spring: the season just ended; from July: the one coming in autumn.
    assert season == (day.year if day.month >= 7 else day.year - 1)
    assert (day > end) == (day.month < 7)


@given(seasons)
def test_season_bounds_span_the_new_year(season):
    start, end = method.season_bounds(season, "11-15", "03-20")
    assert (start, end.year, end.month, end.day) == (date(season, 11, 15), season + 1, 3, 20)
    leap = (season + 1) % 4 == 0 and ((season + 1) % 100 != 0 or (season + 1) % 400 == 0)
    assert (end - start).days + 1 == (127 if leap else 126)


def test_season_of_reads_the_local_date():
    # 2027-07-01 00:00 in Shanghai is 2027-06-30 16:00 UTC: the coming season.
    assert method.season_of(datetime(2027, 6, 30, 16, 0, tzinfo=UTC), "11-15") == 2027
    assert method.season_of(datetime(2027, 6, 30, 15, 59, tzinfo=UTC), "11-15") == 2026
    assert method.season_of(datetime(2027, 1, 10, 12, 0, tzinfo=LOCAL), "11-15") == 2026
    assert method.season_of(datetime(2026, 11, 15, 0, 0, tzinfo=LOCAL), "11-15") == 2026
    assert method.season_bounds(2026, "01-10", "03-31") == (date(2026, 1, 10), date(2026, 3, 31))


# --- affected days and the fee fraction ------------------------------------------------------

SEASON_START, SEASON_END = method.season_bounds(2026, "11-15", "03-20")
SEASON_DAYS = (SEASON_END - SEASON_START).days + 1
season_days_offsets = st.integers(min_value=-20, max_value=SEASON_DAYS + 20)


def test_credit_days_worked_examples():
    assert services.credit_days(date(2026, 12, 1), date(2026, 12, 5), SEASON_START, SEASON_END) == 4
    assert services.credit_days(date(2026, 12, 1), date(2026, 12, 1), SEASON_START, SEASON_END) == 0
    # Closed at the season's end (the day after its last): the last day counts.
    assert services.credit_days(date(2027, 3, 1), date(2027, 3, 21), SEASON_START, SEASON_END) == 20
    whole = services.credit_days(SEASON_START, date(2027, 3, 21), SEASON_START, SEASON_END)
    assert whole == SEASON_DAYS == 126


@given(season_days_offsets, season_days_offsets)
def test_credit_days_stay_inside_the_season(a, b):
    start = SEASON_START + timedelta(days=min(a, b))
    end = SEASON_START + timedelta(days=max(a, b))
    days = services.credit_days(start, end, SEASON_START, SEASON_END)
    assert 0 <= days <= SEASON_DAYS
    assert days <= (end - start).days + 1
    if start >= SEASON_START and end <= SEASON_END:
        assert days == (end - start).days  # the ending day does not count


@given(season_days_offsets, season_days_offsets, st.integers(min_value=1, max_value=40))
def test_a_later_end_never_counts_fewer_days(a, b, more):
    start = SEASON_START + timedelta(days=min(a, b))
    end = SEASON_START + timedelta(days=max(a, b))
    days = services.credit_days(start, end, SEASON_START, SEASON_END)
    assert services.credit_days(start, end + timedelta(days=more), SEASON_START, SEASON_END) >= days


shares = st.decimals(min_value="0", max_value="1", places=2)


def test_fee_fraction_worked_example():
    assert services.fee_fraction(Decimal("0.20"), 4, 126) == Decimal("0.006349")
    assert services.fee_fraction(Decimal("1.00"), 126, 126) == Decimal("1.000000")
    assert services.fee_fraction(Decimal("0.50"), 0, 126) == 0


@given(shares, st.integers(min_value=0, max_value=127), st.integers(min_value=1, max_value=127))
def test_fee_fraction_is_a_part_of_the_share(share, days, season_days):
    assume(days <= season_days)
    fraction = services.fee_fraction(share, days, season_days)
    assert fraction.as_tuple().exponent == -6
    assert 0 <= fraction <= share
    assert abs(fraction - share * days / season_days) <= Decimal("0.0000005")
    if days < season_days:
        assert services.fee_fraction(share, days + 1, season_days) >= fraction


# --- no valid record without the signature (R-303, R-703) ------------------------------------


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    signature=st.sampled_from([None, b""]),
    temperatures=st.lists(
        st.decimals(min_value="10.0", max_value="26.0", places=1), min_size=1, max_size=3
    ),
    outdoor=st.sampled_from(["-15.0", "-5.0", "3.5"]),
    note=st.text(max_size=20),
    other_problem=st.sampled_from([None, "closed", "height", "rooms"]),
)
def test_no_path_stores_a_valid_record_without_signature(
    people, customers, thermometer, signature, temperatures, outdoor, note, other_problem
):
    case = Case.objects.filter(kind="temperature", status=Status.ON_SITE).first()
    if case is None:
        case = on_site(people, customers)
    home_rooms = [
        room(kind, area, *[str(t)] * method.points_required(Decimal(area)))
        for kind, area, t in zip(
            ("bedroom", "living_room", "study"), ("12", "24", "40"), temperatures, strict=False
        )
    ]
    extra = {}
    if other_problem == "closed":
        extra["closed"] = False
    elif other_problem == "height":
        extra["height"] = "2.00"
    elif other_problem == "rooms":
        home_rooms = [room("bedroom", "20", "18.0")]  # 20 m² needs 2 points
    data = record_input(case, thermometer, rooms=home_rooms, outdoor=outdoor, note=note, **extra)
    data.signature_png = signature
    with pytest.raises(ValidationError) as error:
        services.record_measurement(data, actor=people["tech"], now=NOW + timedelta(hours=3))
    assert "signature" in error.value.message_dict
    assert not Measurement.objects.exists()
    assert not MeasuredRoom.objects.exists() and not Reading.objects.exists()
    assert not RefundCredit.objects.exists()
    assert Case.objects.get(pk=case.pk).status == Status.ON_SITE
