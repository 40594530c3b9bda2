"""Uploaded files (signatures, import files) are personal data: no URL serves them without
a check. Each app that stores files registers who may open them, by folder."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FileAccess:
    """What a resolver decided: the customer the file is about (for the access log) and
    whether it is shown in the page or downloaded."""

    customer_id: int | None = None
    inline: bool = True
    detail: dict[str, Any] | None = None


# (user, stored name) -> FileAccess, or None when the user may not open it.
Resolver = Callable[[Any, str], FileAccess | None]

_RESOLVERS: dict[str, Resolver] = {}


def register(folder: str, resolver: Resolver) -> None:
    _RESOLVERS[folder.strip("/") + "/"] = resolver


def access_to(user, name: str) -> FileAccess | None:
    for folder, resolver in _RESOLVERS.items():
        if name.startswith(folder):
            return resolver(user, name)
    return None
