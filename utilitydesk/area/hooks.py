"""Who wants to hear when the network moves buildings.

``area`` sits below ``customers`` and must not import it, yet a premises keeps its heating
station (``Premises.station``, denormalised from the building's substation) for scope
filters and routing. When an import links a building to another substation, or gives a
substation to another heating station, the network announces the buildings concerned;
``customers`` registers its reaction in its ``ready()`` (docs/architecture.md). Listeners
run inside the announcing transaction: a rolled-back import leaves nothing behind."""

from collections.abc import Callable, Collection

BuildingsMoved = Callable[[Collection[int]], object]

_listeners: list[BuildingsMoved] = []


def on_buildings_moved(listener: BuildingsMoved) -> None:
    """Call ``listener(building_ids)`` whenever buildings may serve another station."""
    if listener not in _listeners:
        _listeners.append(listener)


def announce_buildings_moved(building_ids: Collection[int]) -> None:
    if not building_ids:
        return
    for listener in list(_listeners):
        listener(building_ids)
