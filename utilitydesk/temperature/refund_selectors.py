"""Reads of the refunds page (R-706): the credits a person may see, filtered; the stations
and seasons to filter by. Station staff see their stations' homes, the office everyone."""

from dataclasses import dataclass

from django.db.models import QuerySet

from utilitydesk.accounts.typing import Actor
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import station_scope

from .models import RefundCredit

VIEW_PERMISSION = "temperature.view_refundcredit"


@dataclass(frozen=True)
class RefundFilters:
    status: str = ""
    season: int | None = None
    station_id: int | None = None


def visible_refunds(user: Actor) -> QuerySet[RefundCredit]:
    """Credits of the homes the user may see; none without the permission."""
    if not (user.has_perm(VIEW_PERMISSION) and user.has_perm("customers.view_customer")):
        return RefundCredit.objects.none()
    credits = RefundCredit.objects.all()
    scope = station_scope(user)
    if scope is not None:
        credits = credits.filter(premises__station_id__in=scope)
    return credits


def search_refunds(user: Actor, filters: RefundFilters) -> QuerySet[RefundCredit]:
    """The refunds page's rows: those awaiting a decision first, then the newest."""
    credits = visible_refunds(user)
    if filters.status:
        credits = credits.filter(status=filters.status)
    if filters.season is not None:
        credits = credits.filter(season=filters.season)
    if filters.station_id is not None:
        credits = credits.filter(premises__station_id=filters.station_id)
    # The page's homes, records and deciders come in one query each: joined here, the
    # premises and measurements tables would be read whole before the sort picks the page.
    return credits.prefetch_related("premises__station", "measurement", "decided_by").order_by(
        "-created_at", "-pk"
    )


def refund_stations(user: Actor) -> QuerySet[OrgUnit]:
    stations = OrgUnit.objects.filter(kind=UnitKind.STATION)
    scope = station_scope(user)
    if scope is not None:
        stations = stations.filter(pk__in=scope)
    return stations.order_by("code")


def refund_seasons(user: Actor) -> list[int]:
    seasons = visible_refunds(user).order_by("-season").values_list("season", flat=True)
    return list(dict.fromkeys(seasons.distinct()))
