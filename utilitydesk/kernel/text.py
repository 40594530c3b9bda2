"""Text cleaning at the edge: every value that comes in from a form, a query string, a JSON
body or an import file passes through ``clean_text`` once, so nothing stored can carry a
character that breaks an export, a PDF or the database."""

import re
from collections.abc import Mapping
from typing import Any

from django.http import QueryDict

# C0 control characters except tab, line feed and carriage return; DEL; lone surrogates
# (a JSON "\ud800" escape decodes to one, and neither PostgreSQL nor .xlsx accepts it).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """``value`` without control characters (tab, line feed and carriage return stay)."""
    if value.isprintable():  # the usual case, decided in C
        return value
    return _UNWANTED.sub("", value)


def needs_cleaning(value: str) -> bool:
    return _UNWANTED.search(value) is not None


def clean_data(value: Any) -> Any:
    """Strings anywhere in a parsed JSON document (keys included) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


def clean_query_dict(query):
    """A QueryDict with every key and value cleaned; the same object when nothing changes."""
    if not any(
        needs_cleaning(key) or any(needs_cleaning(v) for v in values if isinstance(v, str))
        for key, values in query.lists()
    ):
        return query

    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        cleaned.setlist(
            clean_text(key), [clean_text(v) if isinstance(v, str) else v for v in values]
        )
    cleaned._mutable = query._mutable
    return cleaned
