"""The measuring method as pure arithmetic (R-703, R-705, R-706; docs/temperature.md):
how many points a room needs, a room's and a home's temperature, pass or fail, the refund
band, the heating season a moment belongs to. No database here."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
TENTH = Decimal("0.1")

# The national method's room sizes: under 16 m² one point at the centre; 16 to under 30 m²
# two points, the trisection points of the diagonal; 30 to under 60 m² three points, the
# quarter points of the diagonal; 60 m² and more five points, on both diagonals (the centre
# and the four midpoints between it and the corners).
POINT_STEPS: tuple[tuple[Decimal, int], ...] = (
    (Decimal("16"), 1),
    (Decimal("30"), 2),
    (Decimal("60"), 3),
)
POINTS_LARGEST = 5


def points_required(area_m2: Decimal) -> int:
    for below, points in POINT_STEPS:
        if area_m2 < below:
            return points
    return POINTS_LARGEST


def round_tenth(value: Decimal) -> Decimal:
    return value.quantize(TENTH, rounding=ROUND_HALF_UP)


def room_celsius(readings: Sequence[Decimal]) -> Decimal:
    """The room's temperature: the mean of its points, to 0.1 °C."""
    if not readings:
        raise ValueError("a room needs readings")
    return round_tenth(sum(readings, Decimal("0")) / len(readings))


@dataclass(frozen=True)
class RoomResult:
    kind: str
    area_m2: Decimal
    celsius: Decimal


def home_celsius(rooms: Iterable[RoomResult], counted_kinds: set[str], rule: str) -> Decimal:
    """The home's temperature from the rooms the policy counts (bedrooms and the living room
    by default; every room when none of those was measured): their area-weighted mean, or
    under the "lowest" rule the coldest of them."""
    all_rooms = list(rooms)
    if not all_rooms:
        raise ValueError("a home needs rooms")
    counted = [r for r in all_rooms if r.kind in counted_kinds] or all_rooms
    if rule == "lowest":
        return min(r.celsius for r in counted)
    area = sum((r.area_m2 for r in counted), Decimal("0"))
    return round_tenth(sum((r.celsius * r.area_m2 for r in counted), Decimal("0")) / area)


def counted_kinds(setting: str) -> set[str]:
    return {part.strip() for part in setting.split(",") if part.strip()}


def passes(celsius: Decimal, target: Decimal, tolerance_below: Decimal) -> bool:
    return celsius >= target - tolerance_below


@dataclass(frozen=True)
class Band:
    below: Decimal
    share: Decimal


def parse_bands(raw: Sequence[dict[str, object]]) -> list[Band]:
    """The policy's bands, lowest threshold first. Raises ValueError on a malformed band."""
    bands = []
    for item in raw:
        below, share = Decimal(str(item["below"])), Decimal(str(item["share"]))
        if not Decimal("0") <= share <= Decimal("1"):
            raise ValueError("a refund share lies between 0 and 1")
        bands.append(Band(below, share))
    return sorted(bands, key=lambda band: band.below)


def refund_share(celsius: Decimal, bands: Sequence[Band]) -> Decimal:
    """The share of the fee refunded for a home measured at ``celsius``: the band with the
    lowest threshold the temperature is under; nothing at or above every threshold."""
    for band in bands:
        if celsius < band.below:
            return band.share
    return Decimal("0")


def _month_day(text: str) -> tuple[int, int]:
    month, day = text.split("-")
    return int(month), int(day)


def season_of(moment: datetime, season_start: str) -> int:
    """The heating season a moment belongs to, named by the year it starts in: with the
    season starting on 11-15, 2027-01-10 belongs to season 2026. Outside the season a date
    belongs to the season that starts next after the summer (on or after July: this year)."""
    local = moment.astimezone(LOCAL).date()
    start = date(local.year, *_month_day(season_start))
    if local >= start or local.month >= 7:
        return local.year
    return local.year - 1


def season_bounds(season: int, season_start: str, season_end: str) -> tuple[date, date]:
    """First and last day of a season (both inclusive)."""
    start = date(season, *_month_day(season_start))
    end_month, end_day = _month_day(season_end)
    end_year = season + 1 if (end_month, end_day) < _month_day(season_start) else season
    return start, date(end_year, end_month, end_day)


def within_hours(moment: datetime, hours: str) -> bool:
    """Whether the local time of ``moment`` lies inside "HH:MM-HH:MM" (end inclusive)."""
    start_text, end_text = hours.split("-")
    local = moment.astimezone(LOCAL)
    minutes = local.hour * 60 + local.minute
    start_h, start_m = (int(x) for x in start_text.split(":"))
    end_h, end_m = (int(x) for x in end_text.split(":"))
    return start_h * 60 + start_m <= minutes <= end_h * 60 + end_m
