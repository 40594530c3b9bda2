"""Time left / overdue, shown in every case list with a colour."""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from utilitydesk.cases.deadline_selectors import case_statuses_with_deadlines

register = template.Library()


def _span(delta_seconds: int) -> str:
    minutes = abs(delta_seconds) // 60
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": mins}
    return _("%(m)dm") % {"m": mins}


@register.filter
def time_left(due, status=""):
    """Time left before ``due`` or the time it is overdue by; given the case's status, a
    finished case (closed, cancelled, called back) shows nothing: it is late no more."""
    if not due:
        return ""
    if status:
        open_statuses, resolved = case_statuses_with_deadlines()
        if status not in open_statuses and status != resolved:
            return ""
    seconds = int((due - timezone.now()).total_seconds())
    if seconds < 0:
        return format_html('<span class="due due-over">{} {}</span>', _("overdue"), _span(seconds))
    css = "due-soon" if seconds < 2 * 3600 else "due-ok"
    return format_html('<span class="due {}">{} {}</span>', css, _("left"), _span(seconds))


@register.filter
def end_of_day(value):
    """00:00 is shown as 24:00 of the previous day, as the regulations count (R-408)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        previous = local - timezone.timedelta(days=1)
        return previous.strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


@register.filter
def percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"
