import contextlib
import ipaddress

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from utilitydesk.kernel.text import clean_query_dict


class TrustedProxyMiddleware:
    """Behind nginx every request comes from the proxy's address: the client's is the one
    nginx passes in X-Real-IP, believed only from an address in settings.TRUSTED_PROXIES
    (access logs, sign-in lockouts and the metrics check read REMOTE_ADDR)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("REMOTE_ADDR") in settings.TRUSTED_PROXIES:
            real = request.META.get("HTTP_X_REAL_IP", "").strip()
            with contextlib.suppress(ValueError):  # no address given: keep the proxy's
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(real))
        return self.get_response(request)


class DefaultLanguageMiddleware:
    """Chinese unless the person chose another language: the browser's Accept-Language is
    ignored, so an English-configured PC at the hotline still shows the Chinese UI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulCharactersMiddleware:
    """Input cleaning at the edge for every page and the API's query strings.

    A NUL character in a query or form value never comes from a real form: answer 400.
    Every other control character (except tab, line feed, carriage return) is removed
    from query and form values here, once (core.text.clean_text), so no stored value can
    break an export later; JSON bodies are cleaned by core.parsers the same way. Uploaded
    files larger than settings.IMPORT_MAX_FILE_BYTES (the largest file the product
    accepts) are cut off while they arrive and marked on the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):

        if request.method == "POST" and request.content_type == "multipart/form-data":
            request.upload_handlers.insert(0, SizeLimitedUploadHandler(request))
        fields = [key for key, values in request.GET.lists() if any("\x00" in v for v in values)]
        form_body = request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if form_body:
            fields += [k for k, values in request.POST.lists() if any("\x00" in v for v in values)]
        if not fields:
            request.GET = clean_query_dict(request.GET)
            if form_body:
                request.POST = clean_query_dict(request.POST)
            return self.get_response(request)

        message = _("The request contains a NUL character, which is not allowed.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "error": {
                        "code": "invalid",
                        "message": message,
                        "fields": {field: [message] for field in fields},
                    }
                },
                status=400,
            )
        return HttpResponseBadRequest(message)


class SizeLimitedUploadHandler(FileUploadHandler):
    """Stops an uploaded file once it is larger than settings.IMPORT_MAX_FILE_BYTES: the
    rest of the body is read and dropped, nothing more is stored, and
    ``request.upload_too_large`` tells the view why the file is missing."""

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.IMPORT_MAX_FILE_BYTES:
            self.request.upload_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
