from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def complaint_panel(context, complaint):
    """The complaint section's allowed actions and forms (complaints.views.panel_context):
    the case page and the complaint page show the same section."""
    from utilitydesk.complaints.views import panel_context

    return panel_context(context["user"], complaint, context.get("complaint_forms"))
