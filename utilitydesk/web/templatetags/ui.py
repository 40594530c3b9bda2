"""Template helpers available in every template (settings TEMPLATES builtins)."""

from django import template
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.dateparse import parse_datetime

from utilitydesk.accounts.names import display_name

register = template.Library()
register.filter("person", display_name)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.filter
def iso_local(value: str, fmt: str = "Y-m-d H:i") -> str:
    """An ISO-8601 moment kept in JSON (event data), shown in Asia/Shanghai like any other."""

    moment = parse_datetime(value) if isinstance(value, str) else value
    if moment is None:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return format_date(timezone.localtime(moment), fmt)
