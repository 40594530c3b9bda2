import logging
from typing import cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from utilitydesk.accounts.typing import Actor
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import protocol, selectors, services

log = logging.getLogger(__name__)


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    """The official account's server URL: WeChat's signature instead of a session."""
    query = {key: request.GET.get(key, "") for key in ("signature", "timestamp", "nonce")}
    if not protocol.signed(str(settings.WECHAT.get("TOKEN", "")), query):
        return _plain("forbidden", 403)
    if request.method == "GET":
        return _plain(request.GET.get("echostr", ""))
    try:
        incoming = protocol.parse(request.body)
    except protocol.MalformedMessage as error:
        log.info("wechat: malformed message refused: %s", error)
        return _plain("malformed message", 400)
    reply = services.receive(incoming)
    if reply is None:
        return _plain("success")
    return HttpResponse(
        protocol.text_reply(incoming, reply), content_type="application/xml; charset=utf-8"
    )


@login_required
@permission_required(selectors.ANSWER_PERMISSION, raise_exception=True)
@personal_data_view
def messages(request: HttpRequest) -> HttpResponse:
    conversations = selectors.waiting(cast(Actor, request.user))
    record_access(
        request.user,
        Action.LIST,
        [c.follower.customer_id for c in conversations if c.follower.customer_id],
        request=request,
        detail={"wechat_followers": [c.follower.pk for c in conversations]},
    )
    kinds = [(k.value, k.label) for k in services.ANSWER_KINDS]
    return render(
        request,
        "wechat/messages.html",
        {"conversations": conversations, "kinds": kinds, "answer_max": services.ANSWER_MAX},
    )


@login_required
@permission_required(selectors.ANSWER_PERMISSION, raise_exception=True)
@require_POST
def reply(request: HttpRequest, follower_id: int) -> HttpResponse:
    data = services.Answer(
        text=request.POST.get("text", "")[: services.ANSWER_MAX + 1],
        kind=request.POST.get("kind", "")[:16],
        by_phone=request.POST.get("by_phone") == "1",
    )
    try:
        services.answer(follower_id, data, actor=cast(Actor, request.user))
    except ValidationError as error:
        flash.error(request, "; ".join(error.messages))
    else:
        flash.success(
            request,
            _("Recorded as a WeChat contact answered by phone.")
            if data.by_phone
            else _("Answer sent and recorded as a WeChat contact."),
        )
    return redirect(reverse("wechat:messages"))
