import logging
import secrets
import time
from typing import cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from utilitydesk.accounts.typing import Actor
from utilitydesk.notifications.wechat import WeChatError
from utilitydesk.privacy.access import Action, record_access
from utilitydesk.privacy.web import personal_data_view

from . import crypto, households, oauth, protocol, selectors, services

log = logging.getLogger(__name__)


def _plain(text: str, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _config(name: str) -> str:
    return str(settings.WECHAT.get(name, "") or "")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    """The official account's server URL: WeChat's signature instead of a session. With an
    EncodingAESKey and ``encrypt_type=aes`` (safe or compatible mode) the message is
    decrypted and the reply encrypted (crypto.py)."""
    names = ("signature", "timestamp", "nonce", "msg_signature", "encrypt_type")
    query = {key: request.GET.get(key, "") for key in names}
    token, aes_key = _config("TOKEN"), _config("ENCODING_AES_KEY")
    if request.method == "GET":
        return _verify(request, query, token, aes_key)
    encrypted = bool(aes_key) and query["encrypt_type"] == "aes"
    body, key = request.body, b""
    if encrypted:
        try:
            key = crypto.aes_key(aes_key)
            ciphertext = protocol.encrypted_part(body)
        except crypto.CryptoError:
            log.error("wechat: WECHAT_ENCODING_AES_KEY is not a valid EncodingAESKey")
            return _plain("bad configuration", 400)
        except protocol.MalformedMessage as error:
            log.info("wechat: malformed message refused: %s", error)
            return _plain("malformed message", 400)
        if not crypto.signed(token, query, ciphertext):
            return _plain("forbidden", 403)
        try:
            body = crypto.decrypt(key, ciphertext, _config("APP_ID"))
        except crypto.CryptoError as error:
            log.info("wechat: encrypted message refused: %s", error)
            return _plain("bad ciphertext", 400)
    elif not protocol.signed(token, query):
        return _plain("forbidden", 403)
    try:
        incoming = protocol.parse(body)
    except protocol.MalformedMessage as error:
        log.info("wechat: malformed message refused: %s", error)
        return _plain("malformed message", 400)
    reply = services.receive(incoming)
    if reply is None:
        return _plain("success")
    xml = protocol.text_reply(incoming, reply)
    if encrypted:
        xml = crypto.wrap(
            key,
            token,
            _config("APP_ID"),
            xml,
            timestamp=str(int(time.time())),
            nonce=secrets.token_hex(8),
        )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")


def _verify(request: HttpRequest, query: dict[str, str], token: str, aes_key: str) -> HttpResponse:
    """WeChat's check of the server URL: ``echostr`` back in plain text. Signed with
    ``msg_signature`` (safe mode), ``echostr`` is encrypted and answered decrypted."""
    echostr = request.GET.get("echostr", "")
    if not query["msg_signature"]:
        if not protocol.signed(token, query):
            return _plain("forbidden", 403)
        return _plain(echostr)
    if not aes_key or not crypto.signed(token, query, echostr):
        return _plain("forbidden", 403)
    try:
        plain = crypto.decrypt(crypto.aes_key(aes_key), echostr, _config("APP_ID"))
        return _plain(plain.decode())
    except (crypto.CryptoError, UnicodeDecodeError) as error:
        log.info("wechat: encrypted echostr refused: %s", error)
        return _plain("bad ciphertext", 400)


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


# --- the household's WeChat notices (web-page authorisation) ----------------------------------


def _household_page(request: HttpRequest) -> tuple[households.Pages, households.Household | None]:
    pages = households.pages()
    if pages is None:
        raise Http404
    return pages, households.signed_in(request)


def _redirect_uri(request: HttpRequest) -> str:
    site = _config("SITE_URL").rstrip("/")
    path = reverse("wechat:oauth")
    return f"{site}{path}" if site else request.build_absolute_uri(path)


@never_cache
def notices(request: HttpRequest) -> HttpResponse:
    """Whether WeChat notices of the signed-in household's accounts reach this WeChat."""
    pages, household = _household_page(request)
    if household is None:
        return redirect(pages.sign_in)
    followers = selectors.linked_followers(household.phone, household.customer_ids)
    return render(
        request,
        "wechat/notices.html",
        {
            "pages": pages,
            "household": household,
            "followers": followers,
            "following": any(f.subscribed for f in followers),
            "nav": "home",
        },
    )


@never_cache
def oauth_start(request: HttpRequest) -> HttpResponse:
    """Off to WeChat's web-page authorisation, which comes back to ``oauth`` with a code."""
    pages, household = _household_page(request)
    if household is None:
        return redirect(pages.sign_in)
    if not household.customer_ids:
        flash.info(request, _("Bind your account first."))
        return redirect(pages.bind)
    if not _config("APP_ID"):
        flash.error(request, _("WeChat notices are not available yet."))
        return redirect("wechat:notices")
    state = oauth.new_state(request.session)
    return redirect(oauth.authorize_url(_config("APP_ID"), _redirect_uri(request), state))


@never_cache
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """WeChat's redirect back with ``code`` and our ``state``: the code exchanged for the
    follower's openid, which is linked to the signed-in household's accounts."""
    pages, household = _household_page(request)
    state = request.GET.get("state", "")[:200]
    if not oauth.take_state(request.session, state):
        return render(request, "wechat/oauth_refused.html", {"pages": pages}, status=400)
    if household is None:
        return redirect(pages.sign_in)
    code = request.GET.get("code", "")[:128]
    if not code:
        flash.error(request, _("WeChat did not confirm who you are. Please try again."))
        return redirect("wechat:notices")
    try:
        openid = services.client().oauth_openid(code)
    except WeChatError as error:
        log.info("wechat: web-page authorisation refused: %s", error)
        flash.error(
            request,
            _("WeChat did not confirm who you are (%(error)s). Please try again.")
            % {"error": error.code},
        )
        return redirect("wechat:notices")
    try:
        services.link_household(openid, phone=household.phone, customer_ids=household.customer_ids)
    except ValidationError as error:
        flash.error(request, "; ".join(error.messages))
        return redirect("wechat:notices")
    if household.customer_ids:
        flash.success(request, _("WeChat notices of your accounts will reach this WeChat."))
    return redirect("wechat:notices")


@never_cache
@require_POST
def notices_stop(request: HttpRequest) -> HttpResponse:
    pages, household = _household_page(request)
    if household is None:
        return redirect(pages.sign_in)
    services.unlink_household(household.phone)
    flash.success(request, _("WeChat notices are stopped."))
    return redirect("wechat:notices")
