"""API conventions shared by every app: one JSON error shape with field messages."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _as_field_messages(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, list | tuple):
                out[key] = [str(v) for v in value]
            elif isinstance(value, dict):
                for sub_key, sub_value in _as_field_messages(value).items():
                    out[f"{key}.{sub_key}"] = sub_value
            else:
                out[key] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Errors look like {"error": {"code", "message", "fields": {field: [messages]}}}."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _as_field_messages(exc.detail)
        message = _("Some fields are not valid.")
        code: str | None = "invalid"
    else:
        detail = getattr(exc, "detail", "")
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


def json_not_found(request, exception=None, **kwargs) -> JsonResponse:  # noqa: ARG001
    return JsonResponse(
        {"error": {"code": "not_found", "message": _("Not found."), "fields": {}}},
        status=status.HTTP_404_NOT_FOUND,
    )


def json_server_error(request) -> JsonResponse:  # noqa: ARG001
    return JsonResponse(
        {"error": {"code": "server_error", "message": _("Internal error."), "fields": {}}},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
