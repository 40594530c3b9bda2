"""The household signed in to its own pages (/my/), as the app that owns those pages tells
it: that app sits above this one (it registers itself in its ``ready()``), so the binding of
a follower reads the signed-in number and its accounts through here, without importing it."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Pages:
    session_key: str  # where the signed-in number is kept in the session
    customer_ids: Callable[[str], Iterable[int]]  # the accounts the number has bound
    sign_in: str  # URL names of the households' sign-in, home and binding pages
    home: str
    bind: str


@dataclass(frozen=True)
class Household:
    phone: str
    customer_ids: list[int]


_pages: Pages | None = None


def register(pages: Pages) -> None:
    global _pages  # noqa: PLW0603 - one registration at start-up
    _pages = pages


def pages() -> Pages | None:
    return _pages


def signed_in(request: HttpRequest) -> Household | None:
    if _pages is None:
        return None
    phone = str(request.session.get(_pages.session_key) or "")
    if not phone:
        return None
    return Household(phone, sorted(set(_pages.customer_ids(phone))))
