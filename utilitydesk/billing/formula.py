"""A season bill as arithmetic (R-802, R-806, R-807, R-706; docs/billing.md): the lines of
one premises' bill from its tariff, area, days, metered energy and credits. Pure: no
database. Every amount is Decimal, rounded per line by the tariff's rule; the total is the
sum of the lines and never negative."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

ZERO = Decimal("0")


class Method(StrEnum):
    AREA = "area"  # price per m² of heated area per season
    TWO_PART = "two_part"  # base per m² per season + metered energy per GJ


class LineKind(StrEnum):
    AREA_FEE = "area_fee"
    BASE_FEE = "base_fee"
    ENERGY_FEE = "energy_fee"
    CAP = "cap"
    STOP_HEAT = "stop_heat"
    INTERRUPTION = "interruption"
    TEMPERATURE_REFUND = "temperature_refund"
    ADJUSTMENT = "adjustment"
    FLOOR = "floor"


@dataclass(frozen=True)
class Rate:
    method: Method
    price_per_m2: Decimal  # the area-based price for a whole season
    base_per_m2: Decimal = ZERO  # two-part: the base price for a whole season
    energy_per_gj: Decimal = ZERO  # two-part
    cap_at_area: bool = False  # two-part: never more than the area-based amount
    stop_heat_share: Decimal = ZERO  # share of the capacity charge while heat is stopped
    quantum: Decimal = Decimal("0.01")  # rounding of each line (0.01, 0.1 or 1 yuan)

    @property
    def capacity_per_m2(self) -> Decimal:
        """The per-m² season price that stopped days, interruptions and temperature refunds
        are measured against: the area price, or the base price of a two-part tariff (its
        energy part is billed by the meter and falls by itself when heat is short)."""
        return self.price_per_m2 if self.method == Method.AREA else self.base_per_m2


@dataclass(frozen=True)
class Days:
    season: int  # days in the heating season
    billed: int  # days of the season the premises is billed for (connected, moved in)
    stopped: int = 0  # of those, days with heat stopped on application (报停)

    def __post_init__(self) -> None:
        if self.season <= 0 or not 0 <= self.stopped <= self.billed <= self.season:
            raise ValueError("days: 0 ≤ stopped ≤ billed ≤ season, season > 0")

    @property
    def supplied(self) -> int:
        return self.billed - self.stopped


@dataclass(frozen=True)
class Credit:
    """Something taken off the bill: ``days`` of interruption (the daily capacity charge
    each), a ``fraction`` of the season's capacity charge (a temperature refund), or a fixed
    ``amount`` (a correction)."""

    kind: LineKind
    description: str
    reference: str = ""
    days: int = 0
    fraction: Decimal = ZERO
    amount: Decimal = ZERO


@dataclass(frozen=True)
class Line:
    kind: LineKind
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal
    reference: str = ""


def round_to(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def _share(days: int, season: int) -> Decimal:
    return Decimal(days) / Decimal(season)


def bill_lines(
    rate: Rate,
    area_m2: Decimal,
    days: Days,
    energy_gj: Decimal = ZERO,
    credits: Sequence[Credit] = (),
) -> list[Line]:
    """The lines of a season bill. Charges first (area or base and energy, the cap, the
    stop-heat share), then credits; a final line keeps the total from going below zero."""
    q = rate.quantum
    supplied = _share(days.supplied, days.season)
    lines: list[Line] = []
    if rate.method == Method.AREA:
        lines.append(
            Line(
                LineKind.AREA_FEE,
                f"{area_m2} m² × {rate.price_per_m2} × {days.supplied}/{days.season}",
                area_m2,
                "m2",
                rate.price_per_m2,
                round_to(area_m2 * rate.price_per_m2 * supplied, q),
            )
        )
    else:
        base = round_to(area_m2 * rate.base_per_m2 * supplied, q)
        energy = round_to(energy_gj * rate.energy_per_gj, q)
        lines.append(
            Line(
                LineKind.BASE_FEE,
                f"{area_m2} m² × {rate.base_per_m2} × {days.supplied}/{days.season}",
                area_m2,
                "m2",
                rate.base_per_m2,
                base,
            )
        )
        lines.append(
            Line(
                LineKind.ENERGY_FEE,
                f"{energy_gj} GJ × {rate.energy_per_gj}",
                energy_gj,
                "GJ",
                rate.energy_per_gj,
                energy,
            )
        )
        if rate.cap_at_area:
            cap = round_to(area_m2 * rate.price_per_m2 * supplied, q)
            if base + energy > cap:
                lines.append(
                    Line(
                        LineKind.CAP,
                        f"≤ {area_m2} m² × {rate.price_per_m2} × {days.supplied}/{days.season}",
                        Decimal(1),
                        "",
                        cap - base - energy,
                        cap - base - energy,
                    )
                )
    if days.stopped:
        lines.append(
            Line(
                LineKind.STOP_HEAT,
                f"{area_m2} m² × {rate.capacity_per_m2} × {rate.stop_heat_share} × {days.stopped}/{days.season}",
                area_m2,
                "m2",
                rate.capacity_per_m2,
                round_to(
                    area_m2
                    * rate.capacity_per_m2
                    * rate.stop_heat_share
                    * _share(days.stopped, days.season),
                    q,
                ),
            )
        )
    season_capacity = area_m2 * rate.capacity_per_m2
    for credit in credits:
        if credit.kind == LineKind.INTERRUPTION:
            amount = round_to(season_capacity * _share(credit.days, days.season), q)
            lines.append(
                Line(
                    credit.kind,
                    credit.description,
                    Decimal(credit.days),
                    "day",
                    -round_to(season_capacity / days.season, Decimal("0.01")),
                    -amount,
                    credit.reference,
                )
            )
        elif credit.kind == LineKind.TEMPERATURE_REFUND:
            amount = round_to(season_capacity * credit.fraction, q)
            lines.append(
                Line(
                    credit.kind,
                    credit.description,
                    credit.fraction,
                    "season",
                    -round_to(season_capacity, Decimal("0.01")),
                    -amount,
                    credit.reference,
                )
            )
        else:
            lines.append(
                Line(
                    credit.kind,
                    credit.description,
                    Decimal(1),
                    "",
                    credit.amount,
                    round_to(credit.amount, Decimal("0.01")),
                    credit.reference,
                )
            )
    total = sum((line.amount for line in lines), ZERO)
    if total < 0:
        lines.append(Line(LineKind.FLOOR, "", Decimal(1), "", -total, -total))
    return lines


def total_of(lines: Sequence[Line]) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


def billed_area(
    heated_area: Decimal | None, building_area: Decimal | None, usable_share: Decimal
) -> Decimal:
    """The area a bill is computed on: the heated (usable) area, or where it is unknown the
    policy's share of the building area (R-806: 75 % in the Qingdao example)."""
    if heated_area is not None and heated_area > 0:
        return heated_area
    if building_area is None or building_area <= 0:
        raise ValueError("no area to bill")
    return (building_area * usable_share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
