"""An interruption's scope: the premises under its sources, substations, buildings and
units, counted for the preview and materialised set-wise into `AffectedPremises` (one
INSERT … SELECT, whatever the size: a heat source may serve 100,000 households)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)

from utilitydesk.area.models import Building, Source, Substation
from utilitydesk.customers.models import CustomerPhone, Premises

from .models import AffectedPremises, Interruption


@dataclass(frozen=True)
class Scope:
    """What an interruption names: ids of sources, substations and buildings, and
    (building id, unit no) pairs."""

    source_ids: Sequence[int] = ()
    substation_ids: Sequence[int] = ()
    building_ids: Sequence[int] = ()
    units: Sequence[tuple[int, str]] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (self.source_ids or self.substation_ids or self.building_ids or self.units)

    @classmethod
    def of(cls, interruption: Interruption) -> "Scope":
        return cls(
            source_ids=[s.pk for s in interruption.sources.all()],
            substation_ids=[s.pk for s in interruption.substations.all()],
            building_ids=[b.pk for b in interruption.buildings.all()],
            units=[(u.building_id, u.unit_no) for u in interruption.units.all()],
        )


@dataclass(frozen=True)
class ScopeCounts:
    premises: int = 0
    customers: int = 0
    special_care: int = 0
    buildings: int = 0


def scope_filter(scope: Scope) -> Q:
    """The premises of the scope, as one condition on Premises (index lookups on the
    building, its substation and the substation's source)."""
    condition = Q(pk__in=[])
    if scope.building_ids:
        condition |= Q(building_id__in=list(scope.building_ids))
    if scope.substation_ids:
        condition |= Q(building__substation_id__in=list(scope.substation_ids))
    if scope.source_ids:
        condition |= Q(building__substation__source_id__in=list(scope.source_ids))
    for building_id, unit_no in scope.units:
        condition |= Q(building_id=building_id, unit_no=unit_no)
    return condition


def scope_premises(scope: Scope) -> QuerySet[Premises]:
    if scope.empty:
        return Premises.objects.none()
    return Premises.objects.filter(scope_filter(scope)).order_by()


SPECIAL_CARE = ~Q(customer__special_care="")


def preview(scope: Scope) -> ScopeCounts:
    """Premises, customers, special-care households and buildings of the scope: one
    grouped query."""
    if scope.empty:
        return ScopeCounts()
    found = scope_premises(scope).aggregate(
        premises=Count("pk"),
        customers=Count("customer_id", distinct=True),
        special_care=Count("customer_id", distinct=True, filter=SPECIAL_CARE),
        buildings=Count("building_id", distinct=True),
    )
    return ScopeCounts(**{k: v or 0 for k, v in found.items()})


def materialise(interruption: Interruption, scope: Scope) -> int:
    """Write the scope's premises into AffectedPremises with one INSERT … SELECT (rows
    already there are kept). Returns the rows written."""
    if scope.empty:
        return 0
    # Every column an annotation, named in order: the SELECT lists them in this order.
    columns_in_order = {
        "c0": ExpressionWrapper(Value(interruption.pk), output_field=IntegerField()),
        "c1": F("pk"),
        "c2": F("customer_id"),
        "c3": F("building_id"),
        "c4": ExpressionWrapper(SPECIAL_CARE, output_field=BooleanField()),
        "c5": ExpressionWrapper(Value(0), output_field=IntegerField()),
    }
    rows = scope_premises(scope).annotate(**columns_in_order).values_list(*columns_in_order)
    select_sql, params = rows.query.sql_with_params()
    table = connection.ops.quote_name(AffectedPremises._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(name)
        for name in (
            "interruption_id",
            "premises_id",
            "customer_id",
            "building_id",
            "special_care",
            "reduction_days",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names from the model, every value a parameter.
            f"INSERT INTO {table} ({columns}) {select_sql} ON CONFLICT DO NOTHING",
            params,
        )
        return max(int(cursor.rowcount), 0)


def affected_counts(interruption: Interruption) -> ScopeCounts:
    found = AffectedPremises.objects.filter(interruption=interruption).aggregate(
        premises=Count("pk"),
        customers=Count("customer_id", distinct=True),
        special_care=Count("customer_id", distinct=True, filter=Q(special_care=True)),
        buildings=Count("building_id", distinct=True),
    )
    return ScopeCounts(**{k: v or 0 for k, v in found.items()})


def affected_phones(interruption: Interruption) -> Iterable[tuple[int | None, str]]:
    """(customer id, phone) of every phone of every affected customer, streamed."""
    customers = AffectedPremises.objects.filter(interruption=interruption).values("customer_id")
    return (
        CustomerPhone.objects.filter(customer_id__in=customers)
        .order_by("customer_id", "position", "id")
        .values_list("customer_id", "number")
        .iterator(chunk_size=5000)
    )


def stations_of(scope: Scope) -> set[int]:
    """The heating stations the scope's substations and buildings belong to."""
    stations: set[int] = set()
    substation_ids = set(scope.substation_ids)
    if scope.source_ids:
        substation_ids |= set(
            Substation.objects.filter(source_id__in=list(scope.source_ids)).values_list(
                "pk", flat=True
            )
        )
    stations |= set(
        Substation.objects.filter(pk__in=substation_ids).values_list("station_id", flat=True)
    )
    building_ids = set(scope.building_ids) | {b for b, _u in scope.units}
    for substation_station, grid_station in Building.objects.filter(
        pk__in=building_ids
    ).values_list("substation__station_id", "grid__station_id"):
        if substation_station or grid_station:
            stations.add(substation_station or grid_station)
    return stations


def describe(scope: Scope, limit: int = 3) -> str:
    """A short place name for notices: the first names of the scope ("城东热源、8号楼等")."""
    names: list[str] = []
    names += [str(s) for s in Source.objects.filter(pk__in=list(scope.source_ids))[:limit]]
    names += [str(s) for s in Substation.objects.filter(pk__in=list(scope.substation_ids))[:limit]]
    buildings = Building.objects.select_related("community").filter(pk__in=list(scope.building_ids))
    names += [str(b) for b in buildings[:limit]]
    unit_buildings = {
        b.pk: b
        for b in Building.objects.select_related("community").filter(
            pk__in=[b for b, _u in scope.units]
        )
    }
    names += [
        f"{unit_buildings[b]}{u}单元" for b, u in list(scope.units)[:limit] if b in unit_buildings
    ]
    total = (
        len(scope.source_ids)
        + len(scope.substation_ids)
        + len(scope.building_ids)
        + len(scope.units)
    )
    text = "、".join(names[:limit])
    return f"{text}等" if total > limit else text
