"""The supply network as a tree with its households: source › substation › building › unit.

The network itself belongs to ``area``; the premises and customers counted on each node
belong here. Each level is read on demand (the page expands a node with htmx) and its
counts come from one grouped query per level, never one query per node, so a heat source
with 100,000 households opens as fast as a small one. People limited to their stations
(technicians, team leaders, station heads) see only their stations' substations and the
households behind them.

``follow_network`` keeps ``Premises.station`` in step when the network import moves
buildings (registered with ``area.hooks`` in ``CustomersConfig.ready``)."""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from utilitydesk.area.models import Building, Source, Substation, Utility
from utilitydesk.org.selectors import station_scope

from .models import Premises

SEARCH_LIMIT = 50
UPDATE_CHUNK = 1000


class NodeKind:
    SOURCE = "source"
    UNLINKED = "unlinked"  # the substations no source feeds yet
    SUBSTATION = "substation"
    BUILDING = "building"
    UNIT = "unit"


@dataclass
class Node:
    kind: str
    pk: int | None
    code: str
    name: str
    note: str = ""  # kind, station or utility, as a label
    children: int = 0
    premises: int = 0
    customers: int = 0
    path: str = ""  # where a search hit sits in the tree

    @property
    def expandable(self) -> bool:
        return self.kind != NodeKind.UNIT and self.children > 0


def may_view_network(user: Any) -> bool:
    return bool(user.has_perm("area.view_substation"))


def _substations(user: Any) -> QuerySet[Substation]:
    scope = station_scope(user)
    queryset = Substation.objects.all()
    if scope is not None:
        queryset = queryset.filter(station_id__in=scope)
    return queryset


def _premises(user: Any) -> QuerySet[Premises]:
    scope = station_scope(user)
    queryset = Premises.objects.all()
    if scope is not None:
        queryset = queryset.filter(building__substation__station_id__in=scope)
    return queryset


def _households(queryset: QuerySet[Premises], group: str) -> dict[Any, tuple[int, int]]:
    """{group value: (premises, customers)} in one grouped query."""
    rows = (
        queryset.order_by()
        .values(group)
        .annotate(p=Count("id"), c=Count("customer_id", distinct=True))
        .values_list(group, "p", "c")
    )
    return {key: (p, c) for key, p, c in rows}


def _unlinked_filter(utility: str) -> Q:
    """Substations without a source belong to the utility their kind carries."""
    if utility == Utility.HEAT:
        return Q(kind=Substation.Kind.HEAT_EXCHANGE)
    if utility in (Utility.GAS, Utility.WATER):
        return ~Q(kind=Substation.Kind.HEAT_EXCHANGE)
    return Q()


def source_nodes(user: Any, *, utility: str = "", q: str = "") -> list[Node]:
    """The roots: each source (of the utility asked for, matching ``q``) with its
    substations, premises and customers counted; then the substations no source feeds."""
    substations = _substations(user)
    sources = Source.objects.all()
    if utility:
        sources = sources.filter(utility=utility)
    if q:
        sources = sources.filter(Q(code__icontains=q) | Q(name__icontains=q))
    per_source = dict(
        substations.filter(source__isnull=False)
        .order_by()
        .values("source_id")
        .annotate(n=Count("id"))
        .values_list("source_id", "n")
    )
    if station_scope(user) is not None:
        sources = sources.filter(pk__in=list(per_source))
    listed = list(sources.order_by("code"))
    households = _households(
        _premises(user).filter(building__substation__source_id__in=[s.pk for s in listed]),
        "building__substation__source_id",
    )
    nodes = [
        Node(
            NodeKind.SOURCE,
            s.pk,
            s.code,
            s.name,
            note=s.get_utility_display(),
            children=per_source.get(s.pk, 0),
            premises=households.get(s.pk, (0, 0))[0],
            customers=households.get(s.pk, (0, 0))[1],
        )
        for s in listed
    ]
    if not q:
        unlinked = substations.filter(_unlinked_filter(utility), source__isnull=True)
        count = unlinked.count()
        if count:
            counts = (
                _premises(user)
                .filter(building__substation__in=unlinked.values("pk"))
                .aggregate(p=Count("id"), c=Count("customer_id", distinct=True))
            )
            nodes.append(
                Node(
                    NodeKind.UNLINKED,
                    None,
                    "",
                    _("Not fed by any recorded source"),
                    children=count,
                    premises=counts["p"],
                    customers=counts["c"],
                )
            )
    return nodes


def _substation_nodes(
    user: Any, substations: QuerySet[Substation], *, with_path: bool = False
) -> list[Node]:
    listed = list(substations.select_related("station", "source").order_by("code"))
    ids = [s.pk for s in listed]
    buildings = dict(
        Building.objects.filter(substation_id__in=ids)
        .order_by()
        .values("substation_id")
        .annotate(n=Count("id"))
        .values_list("substation_id", "n")
    )
    households = _households(
        _premises(user).filter(building__substation_id__in=ids), "building__substation_id"
    )
    return [
        Node(
            NodeKind.SUBSTATION,
            s.pk,
            s.code,
            s.name,
            note=f"{s.get_kind_display()} · {s.station.name}",
            children=buildings.get(s.pk, 0),
            premises=households.get(s.pk, (0, 0))[0],
            customers=households.get(s.pk, (0, 0))[1],
            path=s.source.name if with_path and s.source else "",
        )
        for s in listed
    ]


def substation_nodes(user: Any, source_id: int | None, *, utility: str = "") -> list[Node]:
    """The substations a source feeds (``None``: those no source feeds)."""
    substations = _substations(user)
    if source_id is None:
        substations = substations.filter(_unlinked_filter(utility), source__isnull=True)
    else:
        substations = substations.filter(source_id=source_id)
    return _substation_nodes(user, substations)


def _building_nodes(
    user: Any, buildings: QuerySet[Building], *, with_path: bool = False
) -> list[Node]:
    listed = list(
        buildings.select_related("community__district", "substation").order_by(
            "community__district__name", "community__name", "name"
        )
    )
    ids = [b.pk for b in listed]
    premises = _premises(user).filter(building_id__in=ids)
    households = _households(premises, "building_id")
    units = dict(
        premises.order_by()
        .values("building_id")
        .annotate(n=Count("unit_no", distinct=True))
        .values_list("building_id", "n")
    )
    return [
        Node(
            NodeKind.BUILDING,
            b.pk,
            "",
            f"{b.community.district.name} {b.community.name} {b.name}",
            children=units.get(b.pk, 0),
            premises=households.get(b.pk, (0, 0))[0],
            customers=households.get(b.pk, (0, 0))[1],
            path=b.substation.name if with_path and b.substation else "",
        )
        for b in listed
    ]


def building_nodes(user: Any, substation_id: int) -> list[Node] | None:
    """The buildings a substation serves; None when it is not the user's to see."""
    if not _substations(user).filter(pk=substation_id).exists():
        return None
    return _building_nodes(user, Building.objects.filter(substation_id=substation_id))


def unit_nodes(user: Any, building_id: int) -> list[Node] | None:
    """The units (单元) of a building with their households; None when not visible."""
    if not Building.objects.filter(
        pk=building_id, substation__in=_substations(user).values("pk")
    ).exists():
        return None
    households = _households(_premises(user).filter(building_id=building_id), "unit_no")
    return [
        Node(
            NodeKind.UNIT,
            None,
            unit_no,
            _("Unit %(unit)s") % {"unit": unit_no} if unit_no else _("No unit"),
            premises=p,
            customers=c,
        )
        for unit_no, (p, c) in sorted(households.items(), key=lambda item: _unit_order(item[0]))
    ]


def _unit_order(unit_no: str) -> tuple[int, str]:
    return (int(unit_no), "") if unit_no.isdigit() else (1 << 30, unit_no)


@dataclass
class SearchHits:
    sources: list[Node]
    substations: list[Node]
    buildings: list[Node]


def search_network(user: Any, q: str, *, utility: str = "") -> SearchHits:
    """Sources and substations whose code or name, and buildings whose community or name,
    contain ``q`` (at most SEARCH_LIMIT of each)."""
    q = q.strip()
    substations = _substations(user).filter(Q(code__icontains=q) | Q(name__icontains=q))
    if utility:
        substations = substations.filter(
            Q(source__utility=utility) | (Q(source__isnull=True) & _unlinked_filter(utility))
        )
    buildings = Building.objects.filter(
        substation__in=_substations(user).values("pk"),
    ).filter(Q(name__icontains=q) | Q(community__name__icontains=q))
    if utility:
        buildings = buildings.filter(
            Q(substation__source__utility=utility)
            | (Q(substation__source__isnull=True) & _unlinked_filter_building(utility))
        )
    found_substations = substations.order_by("code")[:SEARCH_LIMIT]
    found_buildings = buildings.order_by("community__name", "name")[:SEARCH_LIMIT]
    return SearchHits(
        sources=source_nodes(user, utility=utility, q=q)[:SEARCH_LIMIT],
        substations=_substation_nodes(
            user,
            Substation.objects.filter(pk__in=list(found_substations.values_list("pk", flat=True))),
            with_path=True,
        ),
        buildings=_building_nodes(
            user,
            Building.objects.filter(pk__in=list(found_buildings.values_list("pk", flat=True))),
            with_path=True,
        ),
    )


def _unlinked_filter_building(utility: str) -> Q:
    if utility == Utility.HEAT:
        return Q(substation__kind=Substation.Kind.HEAT_EXCHANGE)
    return ~Q(substation__kind=Substation.Kind.HEAT_EXCHANGE)


def network_totals(user: Any) -> dict[str, int]:
    """What the page's heading counts: sources, substations, buildings, households."""
    substations = _substations(user)
    scoped = station_scope(user) is not None
    sources = (
        substations.exclude(source=None).values("source_id").distinct().count()
        if scoped
        else Source.objects.count()
    )
    return {
        "sources": sources,
        "substations": substations.count(),
        "buildings": Building.objects.filter(substation__in=substations.values("pk")).count(),
        "unlinked_buildings": (
            Building.objects.filter(substation__isnull=True).count() if not scoped else 0
        ),
    }


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), UPDATE_CHUNK):
        yield ids[start : start + UPDATE_CHUNK]


def follow_network(building_ids: Collection[int]) -> int:
    """Give the premises of these buildings the heating station their building now has
    (its substation's, else its grid's). Returns how many premises changed."""
    stations: dict[int | None, list[int]] = {}
    rows = (
        Building.objects.filter(pk__in=list(building_ids))
        .annotate(unit=Coalesce("substation__station_id", "grid__station_id"))
        .values_list("pk", "unit")
    )
    for building_id, station_id in rows:
        stations.setdefault(station_id, []).append(building_id)
    changed = 0
    for station_id, ids in stations.items():
        for chunk in _chunks(ids):
            premises = Premises.objects.filter(building_id__in=chunk)
            if station_id is None:
                premises = premises.filter(station_id__isnull=False)
            else:
                premises = premises.filter(Q(station_id__isnull=True) | ~Q(station_id=station_id))
            changed += premises.update(station_id=station_id)
    return changed
