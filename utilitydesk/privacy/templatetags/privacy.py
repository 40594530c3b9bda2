from django import template

from utilitydesk.privacy.masking import phone_for, text_for

register = template.Library()


@register.filter
def phone_as_seen_by(number: str, user) -> str:
    """``{{ number|phone_as_seen_by:user }}``: the number masked unless ``user`` may see it."""
    return phone_for(user, number)


@register.filter
def text_as_seen_by(text: str, user) -> str:
    return text_for(user, text)
