from django.db.models import QuerySet

from .models import Building


def find_building(district: str, community: str, building: str) -> Building | None:
    return (
        Building.objects.filter(
            community__district__name=district, community__name=community, name=building
        )
        .select_related("substation__station", "grid__station", "community__district")
        .first()
    )


def buildings_with_network() -> QuerySet[Building]:
    return Building.objects.select_related(
        "community__district", "substation__station", "grid__station", "grid__responsible"
    )
