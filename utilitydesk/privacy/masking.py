"""Who sees full phone numbers (R-105, R-303): decided here and nowhere else.

Full numbers go to people holding ``customers.view_full_phone`` and, for one case, to the
technician it is assigned to (they must call the customer). Everyone else sees
``138****5678``, in pages, history, search results, exports, PDFs, the API and messages.
"""

import re

from utilitydesk.accounts.typing import AnyUser

FULL_PHONE_PERMISSION = "customers.view_full_phone"

# Mobile numbers (with +86/0086), landlines with an area code and a dash or space, and any
# other run of 7+ digits standing alone (not part of a case number such as GD2026…).
_PHONE_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+|00)?86[\s-]?1[3-9]\d{9}|0\d{2,3}[\s-]\d{7,8}|\d{7,})(?![0-9A-Za-z])"
)


def can_see_full_phone(user: AnyUser | None) -> bool:
    return bool(user and user.has_perm(FULL_PHONE_PERMISSION))


def mask_phone(number: str) -> str:
    """138****5678; short numbers keep only their last two digits."""
    number = number or ""
    if len(number) >= 8:
        return number[:3] + "*" * max(4, len(number) - 7) + number[-4:]
    return "*" * max(0, len(number) - 2) + number[-2:]


def phone_for(user: AnyUser | None, number: str, *, on_own_work: bool = False) -> str:
    """The number as ``user`` may see it; ``on_own_work`` when the case is theirs to call."""
    if not number or on_own_work or can_see_full_phone(user):
        return number or ""
    return mask_phone(number)


def mask_phones_in_text(text: str) -> str:
    def _mask(match: re.Match[str]) -> str:
        return mask_phone(re.sub(r"\D", "", match.group(0)))

    return _PHONE_IN_TEXT.sub(_mask, text or "")


def text_for(user: AnyUser | None, text: str, *, on_own_work: bool = False) -> str:
    """Free text (history values, notes, messages) with any phone number masked for ``user``."""
    if not text or on_own_work or can_see_full_phone(user):
        return text or ""
    return mask_phones_in_text(text)


def may_search_by_phone(user: AnyUser | None) -> bool:
    """A masked role may not use search to confirm whose a full number is."""
    return can_see_full_phone(user)
