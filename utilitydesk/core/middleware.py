class DefaultLanguageMiddleware:
    """Chinese unless the person chose another language: the browser's Accept-Language is
    ignored, so an English-configured PC at the hotline still shows the Chinese UI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RejectNulCharactersMiddleware:
    """A NUL character in a query or form value can never be stored (PostgreSQL refuses
    it) and never comes from a real form: answer 400 instead of failing deeper down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [key for key, values in request.GET.lists() if any("\x00" in v for v in values)]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            fields += [k for k, values in request.POST.lists() if any("\x00" in v for v in values)]
        if not fields:
            return self.get_response(request)
        from django.http import HttpResponseBadRequest, JsonResponse
        from django.utils.translation import gettext as _

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
