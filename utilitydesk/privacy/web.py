"""Web views that show personal data: throttled per user and never cached by the browser."""

from functools import wraps

from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from .access import PersonalDataThrottle


def personal_data_view(view):
    """Wraps a view that shows customers' personal data: 429 past the per-user rate, and
    ``Cache-Control: no-store`` on what it answers."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        throttle = PersonalDataThrottle()
        if request.user.is_authenticated and not throttle.allow_request(request, None):
            wait = throttle.wait()
            response = render(request, "429.html", {"wait": int(wait or 60)}, status=429)
            response["Retry-After"] = str(int(wait or 60))
        else:
            response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper
