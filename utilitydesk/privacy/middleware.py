from django.utils.cache import add_never_cache_headers, patch_vary_headers


class NoStoreForSignedInMiddleware:
    """Pages, exports and PDFs shown to a signed-in person may hold personal data: the
    browser and any proxy are told not to keep them (static files are served earlier)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie"])
        return response
