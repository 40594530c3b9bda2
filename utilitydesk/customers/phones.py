"""Phone numbers: one normal form for storage and lookup, validation, masking (R-105)."""

import re

from utilitydesk.privacy.masking import mask_phone

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_WITH_AREA = re.compile(r"^0\d{9,11}$")
LANDLINE_LOCAL = re.compile(r"^[2-9]\d{6,7}$")
_SEPARATORS = re.compile(r"[;,，；、/\s]+")


def normalize(raw: str) -> str:
    """Digits only, without a +86 / 0086 country prefix."""
    digits = re.sub(r"\D", "", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (10, 11, 12):
            rest = digits[len(prefix) :]
            if MOBILE.match(rest) or LANDLINE_WITH_AREA.match(rest):
                return rest
    return digits


def is_valid(number: str) -> bool:
    return bool(
        MOBILE.match(number) or LANDLINE_WITH_AREA.match(number) or LANDLINE_LOCAL.match(number)
    )


def split(raw: str) -> list[str]:
    """Several numbers in one cell, separated by ; , 、 / or spaces."""
    return [part for part in _SEPARATORS.split(raw or "") if part.strip()]


# Masking is decided in one place for every page, export and message.
mask = mask_phone
