import hmac
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
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


log = logging.getLogger("utilitydesk.notifications")

# One callback request carries at most this many reports (the provider batches them).
MAX_REPORTS = 10_000


@csrf_exempt
@require_POST
def tencent_status_report(request: HttpRequest, token: str) -> HttpResponse:
    """Tencent Cloud SMS status reports: a JSON array of {sid, mobile, report_status,
    errmsg, description, user_receive_time, nationcode}. The provider signs nothing, so the
    URL carries a secret (SMS_TENCENT_CALLBACK_TOKEN; docs/outages.md); without it, 404.
    Answers {"result": 0, "errmsg": "OK"} as the provider expects."""
    expected = settings.SMS_TENCENT.get("CALLBACK_TOKEN", "")
    if not expected or not hmac.compare_digest(token.encode(), str(expected).encode()):
        raise Http404
    try:
        reports = json.loads(request.body)
    except ValueError:
        return JsonResponse({"result": 1, "errmsg": "body is not JSON"}, status=400)
    if isinstance(reports, dict):
        reports = [reports]
    if not isinstance(reports, list) or len(reports) > MAX_REPORTS:
        return JsonResponse({"result": 1, "errmsg": "expected a JSON array"}, status=400)
    changed = services.apply_status_reports(
        [r for r in reports if isinstance(r, dict)], provider="tencent", now=timezone.now()
    )
    log.info("status reports: %s received, %s messages updated", len(reports), changed)
    return JsonResponse({"result": 0, "errmsg": "OK"})
