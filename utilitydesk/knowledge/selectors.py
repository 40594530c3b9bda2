import re

from django.db.models import Q

from utilitydesk.accounts.names import display_name
from utilitydesk.accounts.typing import AnyUser
from utilitydesk.org.models import OrgUnit, UnitKind
from utilitydesk.org.selectors import active_assignments

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


def company_name(user: AnyUser | None = None) -> str:
    """The company's name as configured in the organisation tree: the company unit above
    the person's unit, else the first company unit."""

    if user is not None and user.is_authenticated:
        for assignment in active_assignments(user):
            for unit in assignment.unit.ancestors():
                if unit.kind == UnitKind.COMPANY:
                    return unit.name
    company = OrgUnit.objects.filter(kind=UnitKind.COMPANY, is_active=True).order_by("pk").first()
    return company.name if company else ""


# The seed's blanks, for phrases typed in by hand with them.
LEGACY_BLANKS = (("XX供热公司", "{company}"), ("XXX", "{agent}"))


def render_phrase(text: str, user: AnyUser | None = None, *, company: str | None = None) -> str:
    """A standard phrase as said or sent: {company} and {agent} filled in."""

    for blank, name in LEGACY_BLANKS:
        text = text.replace(blank, name)
    company = company_name(user) if company is None else company
    agent = display_name(user) if user is not None and user.is_authenticated else ""
    return text.replace("{company}", company).replace("{agent}", agent)


def standard_phrases(user: AnyUser | None = None) -> list[StandardPhrase]:
    """The standard phrases with the company's and the speaker's names filled in."""
    phrases = list(StandardPhrase.objects.all())
    company = company_name(user)
    for phrase in phrases:
        phrase.text = render_phrase(phrase.text, user, company=company)
    return phrases
