class DefaultLanguageMiddleware:
    """Chinese unless the person chose another language: the browser's Accept-Language is
    ignored, so an English-configured PC at the hotline still shows the Chinese UI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
