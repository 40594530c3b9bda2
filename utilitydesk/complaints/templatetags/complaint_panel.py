from django import template

from utilitydesk.complaints.views import panel_context

register = template.Library()


@register.simple_tag(takes_context=True)
def complaint_panel(context, complaint):
    """The complaint section's allowed actions and forms (complaints.views.panel_context):
    the case page and the complaint page show the same section."""

    return panel_context(context["user"], complaint, context.get("complaint_forms"))
