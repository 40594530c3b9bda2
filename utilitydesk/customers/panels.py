"""Sections of the customer 360 page. Other apps (cases, callbacks, billing, outages)
register here, so the customers app never imports them:

- a ``Panel``: a template and a function building its context; ``position="top"`` shows
  it above the customer's identity (banners: a major fault covering the premises);
- a ``HistorySource``: the customer's contacts an app knows of (calls, cases, callbacks,
  texts), merged into one timeline, newest first;
- a premises flag: a derived state shown next to the supply status ("受故障影响")."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
    order: int = 100
    position: str = "body"  # "top": a banner above the identity cards


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(request, customer) -> list[dict[str, Any]]:
    return [
        {
            "key": p.key,
            "title": p.title,
            "template": p.template,
            "position": p.position,
            **p.context(request, customer),
        }
        for p in sorted(_PANELS.values(), key=lambda p: p.order)
    ]


# --- the contact history ----------------------------------------------------------------


@dataclass
class HistoryEntry:
    """One contact with the customer. ``key`` is unique across sources ("contact:12") and
    orders entries with the same time."""

    at: datetime
    key: str
    kind: str  # a CSS modifier: call, merged, case, callback, sms
    label: str  # what happened, as a person reads it ("来电·当场答复")
    text: str = ""  # already masked for the reader
    case_number: str = ""
    actor: Any = None
    detail: str = ""  # channel, outcome, status …


@dataclass(frozen=True)
class HistorySource:
    """``entries(user, customer, limit)``: at most ``limit`` of the newest entries the user
    may see, newest first. A source checks the user's permissions itself."""

    key: str
    entries: Callable[[Any, Any, int], list[HistoryEntry]]


_SOURCES: dict[str, HistorySource] = {}


def register_history_source(source: HistorySource) -> None:
    _SOURCES[source.key] = source


@dataclass
class HistoryPage:
    entries: list[HistoryEntry]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


HISTORY_PAGE_SIZE = 20
HISTORY_MAX_PAGE = 500


def contact_history(user, customer, page: int = 1, size: int = HISTORY_PAGE_SIZE) -> HistoryPage:
    """Page ``page`` of the customer's contacts from every source, newest first.

    Each source gives its newest ``page × size + 1`` entries, so every entry of the page
    is among them; a customer's history is short enough for this to stay cheap."""
    page = min(max(page, 1), HISTORY_MAX_PAGE)
    wanted = page * size + 1
    merged: list[HistoryEntry] = []
    for source in _SOURCES.values():
        merged.extend(source.entries(user, customer, wanted))
    merged.sort(key=lambda e: (e.at, e.key), reverse=True)
    start = (page - 1) * size
    return HistoryPage(
        entries=merged[start : start + size], number=page, has_next=len(merged) > start + size
    )


# --- derived premises states ------------------------------------------------------------

# flag(user, premises list) -> {premises id: [labels]}
_PREMISES_FLAGS: dict[str, Callable[[Any, list], dict[int, list[str]]]] = {}


def register_premises_flag(key: str, flag: Callable[[Any, list], dict[int, list[str]]]) -> None:
    _PREMISES_FLAGS[key] = flag


# note(user, premises ids) -> {premises id: [what the agent hears first]}: the screen-pop
# box's line per customer ("您所在楼宇 计划停热 至 18:00"), one batched read per lookup.
LookupNote = Callable[[Any, list[int]], dict[int, list[str]]]
_LOOKUP_NOTES: dict[str, LookupNote] = {}


def register_lookup_note(key: str, note: LookupNote) -> None:
    _LOOKUP_NOTES[key] = note


def lookup_notes(user: Any, premises_ids: list[int]) -> dict[int, list[str]]:
    notes: dict[int, list[str]] = {}
    if not premises_ids:
        return notes
    for note in _LOOKUP_NOTES.values():
        for premises_id, lines in note(user, premises_ids).items():
            notes.setdefault(premises_id, []).extend(lines)
    return notes


def premises_flags(user, premises: list) -> dict[int, list[str]]:
    flags: dict[int, list[str]] = {}
    for flag in _PREMISES_FLAGS.values():
        for premises_id, labels in flag(user, premises).items():
            flags.setdefault(premises_id, []).extend(labels)
    return flags
