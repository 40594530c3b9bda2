"""Phone numbers: one normal form for storage and lookup, validation, masking (R-105).

Numbers arrive as Chinese offices write them: full-width digits and spaces (an input
method in full-width mode), +86 / 0086, landlines as 0531-8888 6666 or (0531)88886666,
several numbers in one cell, and from spreadsheets as numbers that lost their leading 0."""

import re
import unicodedata

from utilitydesk.privacy.masking import mask_phone

MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LANDLINE_WITH_AREA = re.compile(r"^0[0-9]{9,11}$")
LANDLINE_LOCAL = re.compile(r"^[2-9][0-9]{6,7}$")
# A landline whose area code lost its trunk 0: written after +86 (+86 531 8888 6666), or a
# number cell from which the spreadsheet dropped it. Area codes are 10, 2x or three digits
# from 3xx to 9xx; local numbers have 7 or 8 digits and do not start with 0 or 1.
AREA_WITHOUT_ZERO = re.compile(r"^(?:(?:10|2[0-9])[2-9][0-9]{7}|[3-9][0-9]{2}[2-9][0-9]{6,7})$")
_NON_DIGITS = re.compile(r"[^0-9]")
# Between numbers: ; , 、 / | and line breaks, in either width (NFKC narrows ；，／).
_SEPARATORS = re.compile(r"[;,、/|\\\r\n\t]+")
# "+86 138 1234 5678" is four tokens; two numbers glued together are never one valid
# number, so the longest group of tokens that is valid is the right one.
_MAX_TOKENS_PER_NUMBER = 6


def _narrow(text: str) -> str:
    """Full-width digits, signs and spaces as their ASCII forms."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def normalize(raw: str) -> str:
    """Digits only, without a +86 / 0086 country prefix; a landline written after +86
    without its trunk 0 gets it back."""
    text = _narrow(raw or "")
    digits = _NON_DIGITS.sub("", text)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix):
            rest = digits[len(prefix) :]
            if MOBILE.match(rest) or LANDLINE_WITH_AREA.match(rest):
                return rest
            international = prefix == "0086" or text.lstrip().startswith("+")
            if international and AREA_WITHOUT_ZERO.match(rest):
                return "0" + rest
    return digits


def from_spreadsheet_number(digits: str) -> str:
    """A number typed into a number-formatted cell: Excel dropped a landline's leading 0
    (053188886666 became 53188886666), which is put back."""
    if not MOBILE.match(digits) and AREA_WITHOUT_ZERO.match(digits):
        return "0" + digits
    return digits


def lost_leading_zero(number: str) -> bool:
    """True when ``number`` (normalized) reads as a landline whose leading 0 is missing."""
    return bool(AREA_WITHOUT_ZERO.match(number))


def is_valid(number: str) -> bool:
    return bool(
        MOBILE.match(number) or LANDLINE_WITH_AREA.match(number) or LANDLINE_LOCAL.match(number)
    )


def split(raw: str) -> list[str]:
    """Several numbers in one cell, separated by ; , 、 / or line breaks, or by spaces when
    the spaces do not fall inside a number (138 1234 5678, 0531 8888 6666). A part that
    cannot be read as numbers is returned as written, for the caller to refuse."""
    parts: list[str] = []
    for part in _SEPARATORS.split(_narrow(raw or "")):
        part = part.strip()
        if not part:
            continue
        if " " in part and not is_valid(normalize(part)):
            parts += _split_on_spaces(part)
        else:
            parts.append(part)
    return parts


def _split_on_spaces(part: str) -> list[str]:
    tokens = part.split()
    numbers: list[str] = []
    start = 0
    while start < len(tokens):
        for end in range(min(len(tokens), start + _MAX_TOKENS_PER_NUMBER), start, -1):
            candidate = " ".join(tokens[start:end])
            if is_valid(normalize(candidate)):
                numbers.append(candidate)
                start = end
                break
        else:
            return [part]
    return numbers


# Masking is decided in one place for every page, export and message.
mask = mask_phone
