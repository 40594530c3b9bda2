from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def inbox(request):
    page = Paginator(selectors.inbox_groups(request.user), 30).get_page(request.GET.get("page"))
    found = selectors.messages_of(request.user, [g["group"] for g in page.object_list])
    groups = [{**g, "messages": found.get(g["group"], [])} for g in page.object_list]
    return render(request, "notifications/inbox.html", {"page": page, "groups": groups})


@login_required
@require_POST
def mark_all_read(request):
    """All messages, or those of one group (``group``: a case reference)."""
    group = request.POST.get("group", "")[:100]
    services.mark_read(request.user, selectors.group_ids(request.user, group) if group else None)
    return redirect("notifications:inbox")
