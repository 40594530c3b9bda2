import re

from django.db.models import Q, QuerySet

from .models import Entry, StandardPhrase


def search(query: str, limit: int = 10) -> list[Entry]:
    """Chinese-friendly search: whole terms first; if nothing matches, any two-character
    piece of the query, ranked by how many pieces an entry contains."""
    query = (query or "").strip()
    active = Entry.objects.filter(is_active=True)
    if not query:
        return list(active[:limit])
    terms = [t for t in re.split(r"[\s,，。?？!！、]+", query) if t]
    condition = Q()
    for term in terms:
        condition &= (
            Q(question__icontains=term) | Q(keywords__icontains=term) | Q(answer__icontains=term)
        )
    found = list(active.filter(condition)[:limit])
    if found:
        return found
    compact = "".join(terms)
    pieces = {compact[i : i + 2] for i in range(len(compact) - 1)}
    if not pieces:
        return []
    any_piece = Q()
    for piece in pieces:
        any_piece |= Q(question__icontains=piece) | Q(keywords__icontains=piece)
    candidates = list(active.filter(any_piece)[:200])

    def score(entry: Entry) -> int:
        text = entry.question + entry.keywords
        return sum(1 for piece in pieces if piece in text)

    return sorted(candidates, key=lambda e: (-score(e), -e.used_count))[:limit]


def standard_phrases() -> QuerySet[StandardPhrase]:
    return StandardPhrase.objects.all()
