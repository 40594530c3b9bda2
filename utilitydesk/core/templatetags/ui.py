"""Template helpers available in every template (settings TEMPLATES builtins)."""

from django import template

from .people import display_name

register = template.Library()
register.filter("person", display_name)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if hasattr(mapping, "get") else key
