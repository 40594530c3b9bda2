import re

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _

from .models import Entry, ForbiddenPhrase

_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


def _squash(text: str) -> str:
    """Only letters and digits: “这是规定, 就不行!” and “这是规定，就不行” compare equal."""
    return _NOT_WORDS.sub("", text or "").lower()


def forbidden_phrases_in(text: str) -> list[str]:
    squashed = _squash(text)
    return [
        phrase
        for phrase in ForbiddenPhrase.objects.filter(is_active=True).values_list("text", flat=True)
        if _squash(phrase) and _squash(phrase) in squashed
    ]


# Blanks of a template that was not filled in: never sent to a customer.
PLACEHOLDERS = ("XX供热公司", "XXX", "{company}", "{agent}")


def check_customer_text(text: str, field: str = "text") -> None:
    """Refuse text meant for a customer that contains a forbidden phrase (服务忌语) or a
    blank of a template (“XX供热公司XXX”)."""
    blanks = [blank for blank in PLACEHOLDERS if blank in (text or "")]
    if blanks:
        raise ValidationError(
            {
                field: _(
                    "This text still contains a blank to fill in: “%(blank)s”. "
                    "Write the real name before sending."
                )
                % {"blank": blanks[0]}
            }
        )
    found = forbidden_phrases_in(text)
    if found:
        raise ValidationError(
            {
                field: _(
                    "This text contains a forbidden service phrase (服务忌语): “%(phrase)s”. "
                    "Rephrase it politely before sending."
                )
                % {"phrase": "”, “".join(found)}
            }
        )


def record_use(entry_id: int) -> None:
    Entry.objects.filter(pk=entry_id).update(used_count=F("used_count") + 1)
