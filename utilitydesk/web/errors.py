"""Error pages: JSON in the API's error shape under /api/, the product's pages elsewhere.
Wired as handler400/403/404/500 in utilitydesk/urls.py (used when DEBUG is off)."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from utilitydesk.kernel.api import json_not_found, json_server_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json_error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def bad_request(request, exception=None):  # noqa: ARG001
    if _is_api(request):
        return _json_error("invalid", _("The request is not valid."), 400)
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    detail = str(exception or "")
    if _is_api(request):
        return _json_error("permission_denied", detail or _("You are not allowed to do this."), 403)
    return render(request, "403.html", {"exception": detail}, status=403)


def page_not_found(request, exception=None):  # noqa: ARG001
    if _is_api(request):
        return json_not_found(request)
    return render(request, "404.html", status=404)


def server_error(request):
    """No request context and no database: the failure may be the database itself."""
    if _is_api(request):
        return json_server_error(request)
    return HttpResponseServerError(loader.get_template("500.html").render())
