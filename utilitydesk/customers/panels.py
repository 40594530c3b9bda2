"""Sections of the customer 360 page. Other apps (cases, callbacks, billing, outages)
register a panel here; each panel is a template and a function building its context."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
    order: int = 100


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(request, customer) -> list[dict[str, Any]]:
    return [
        {"key": p.key, "title": p.title, "template": p.template, **p.context(request, customer)}
        for p in sorted(_PANELS.values(), key=lambda p: p.order)
    ]
