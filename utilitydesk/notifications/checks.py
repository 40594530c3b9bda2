"""Checks a text must pass before it goes to a customer (R-205: no forbidden phrase).

The forbidden phrases belong to the knowledge app, which sits above notifications: it is
registered here from an upper app's ``ready()`` (``utilitydesk.notices``), the way cases
announce through hooks. Each check raises ``ValidationError`` to refuse the text."""

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TextCheck = Callable[[str], None]

_CHECKS: dict[str, TextCheck] = {}

# ``{name}``: a placeholder of a notice template (letters, digits, underscore).
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def register_text_check(name: str, check: TextCheck) -> None:
    """Register (or replace) a check run on every notice template and rendered notice."""
    _CHECKS[name] = check


def registered_checks() -> list[str]:
    return sorted(_CHECKS)


def check_customer_text(text: str) -> None:
    for check in list(_CHECKS.values()):
        check(text)


def placeholders(text: str) -> list[str]:
    """The placeholder names in order of first appearance (the provider's {1}, {2}, …)."""
    names: list[str] = []
    for name in PLACEHOLDER.findall(text or ""):
        if name not in names:
            names.append(name)
    return names


def check_template_text(text: str) -> None:
    """A template's text passes the checks with its placeholders left out (a blank is not a
    phrase), and has at least one character besides them."""
    if not PLACEHOLDER.sub("", text or "").strip():
        raise ValidationError({"text": _("A notice template needs a text.")})
    try:
        check_customer_text(PLACEHOLDER.sub(" ", text))
    except ValidationError as error:
        raise ValidationError({"text": error.messages}) from error
