"""Season bills computed by hand (docs/billing.md) and the formula's invariants."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from utilitydesk.billing.formula import (
    Credit,
    Days,
    LineKind,
    Method,
    Rate,
    bill_lines,
    billed_area,
    total_of,
)

D = Decimal
AREA = Rate(Method.AREA, price_per_m2=D("25.20"), stop_heat_share=D("0.30"))
TWO_PART = Rate(
    Method.TWO_PART,
    price_per_m2=D("25.20"),
    base_per_m2=D("10.08"),
    energy_per_gj=D("48.00"),
    cap_at_area=True,
    stop_heat_share=D("0.30"),
)
SEASON = Days(season=126, billed=126)


def amounts(lines):
    return {line.kind: line.amount for line in lines}


def test_a_whole_season_by_area():
    # 88.50 m² × 25.20 = 2,230.20
    lines = bill_lines(AREA, D("88.50"), SEASON)
    assert amounts(lines) == {LineKind.AREA_FEE: D("2230.20")}


def test_a_partial_season():
    # Moved in with 63 of 126 days left: half the season's fee.
    lines = bill_lines(AREA, D("88.50"), Days(126, 63))
    assert total_of(lines) == D("1115.10")


def test_a_two_part_bill_below_and_above_the_cap():
    # Base 100 m² × 10.08 = 1,008.00; energy 20 GJ × 48 = 960.00; 1,968.00 < cap 2,520.00.
    low = bill_lines(TWO_PART, D("100"), SEASON, energy_gj=D("20"))
    assert total_of(low) == D("1968.00") and LineKind.CAP not in amounts(low)
    # 40 GJ: 1,008.00 + 1,920.00 = 2,928.00, capped at 2,520.00 by a line of −408.00.
    high = bill_lines(TWO_PART, D("100"), SEASON, energy_gj=D("40"))
    assert amounts(high)[LineKind.CAP] == D("-408.00")
    assert total_of(high) == D("2520.00")


def test_a_stop_heat_season():
    # Stopped the whole season: 30 % of 88.50 × 25.20 = 669.06.
    lines = bill_lines(AREA, D("88.50"), Days(126, 126, stopped=126))
    assert amounts(lines) == {LineKind.AREA_FEE: D("0.00"), LineKind.STOP_HEAT: D("669.06")}


def test_an_interruption_and_a_temperature_refund():
    credits = [
        # Two days: 2,230.20 × 2 / 126 = 35.40
        Credit(LineKind.INTERRUPTION, "停热 TD1", "interruption:1", days=2),
        # 20 % for 4 days: fraction 0.006349 × 2,230.20 = 14.16
        Credit(LineKind.TEMPERATURE_REFUND, "室温 CW1", "temperature:1", fraction=D("0.006349")),
    ]
    lines = bill_lines(AREA, D("88.50"), SEASON, credits=credits)
    assert amounts(lines)[LineKind.INTERRUPTION] == D("-35.40")
    assert amounts(lines)[LineKind.TEMPERATURE_REFUND] == D("-14.16")
    assert total_of(lines) == D("2180.64")


def test_rounding_to_the_yuan():
    rate = Rate(Method.AREA, price_per_m2=D("25.20"), quantum=D("1"))
    assert total_of(bill_lines(rate, D("88.50"), SEASON)) == D("2230.00")


def test_credits_never_make_a_bill_negative():
    lines = bill_lines(
        AREA,
        D("10"),
        Days(126, 10),
        credits=[Credit(LineKind.ADJUSTMENT, "更正", amount=D("-500"))],
    )
    assert total_of(lines) == D("0.00") and lines[-1].kind == LineKind.FLOOR


def test_the_area_when_usable_area_is_unknown():
    assert billed_area(None, D("120.00"), D("0.75")) == D("90.00")
    assert billed_area(D("88.50"), D("120.00"), D("0.75")) == D("88.50")
    with pytest.raises(ValueError):
        billed_area(None, None, D("0.75"))


money = st.decimals(min_value=D("0"), max_value=D("200"), places=2)
areas = st.decimals(min_value=D("1"), max_value=D("5000"), places=2)


@st.composite
def days_strategy(draw):
    season = draw(st.integers(1, 200))
    billed = draw(st.integers(0, season))
    return Days(season, billed, draw(st.integers(0, billed)))


@given(
    price=money,
    base=money,
    energy_price=money,
    cap=st.booleans(),
    method=st.sampled_from(list(Method)),
    share=st.decimals(min_value=D("0"), max_value=D("1"), places=2),
    quantum=st.sampled_from([D("0.01"), D("0.1"), D("1")]),
    area=areas,
    days=days_strategy(),
    gj=st.decimals(min_value=D("0"), max_value=D("10000"), places=2),
    outage=st.integers(0, 30),
    fraction=st.decimals(min_value=D("0"), max_value=D("1"), places=6),
    adjustment=st.decimals(min_value=D("-5000"), max_value=D("5000"), places=2),
)
def test_lines_always_sum_to_a_total_that_is_never_negative(
    price,
    base,
    energy_price,
    cap,
    method,
    share,
    quantum,
    area,
    days,
    gj,
    outage,
    fraction,
    adjustment,
):
    rate = Rate(method, price, base, energy_price, cap, share, quantum)
    credits = [
        Credit(LineKind.INTERRUPTION, "i", days=outage),
        Credit(LineKind.TEMPERATURE_REFUND, "t", fraction=fraction),
        Credit(LineKind.ADJUSTMENT, "a", amount=adjustment),
    ]
    lines = bill_lines(rate, area, days, gj, credits)
    total = total_of(lines)
    assert all(isinstance(line.amount, Decimal) for line in lines)
    assert all(line.amount == line.amount.quantize(D("0.01")) for line in lines)
    assert total == sum(line.amount for line in lines) and total >= 0
    if method == Method.TWO_PART and cap:
        charges = sum(
            line.amount
            for line in lines
            if line.kind in (LineKind.BASE_FEE, LineKind.ENERGY_FEE, LineKind.CAP)
        )
        assert charges <= (area * price * days.supplied / days.season).quantize(D("1")) + 1
