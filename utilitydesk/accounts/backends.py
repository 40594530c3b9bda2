from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from . import services
from .forms import client_ip


class ThrottledModelBackend(ModelBackend):
    """Every password check goes through here, whoever asks (sign-in page, admin, API
    token, test client): the lockout cannot be bypassed by using another way in."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        # The account the households' actions are recorded as: nobody signs in as it.
        if username == getattr(settings, "SELFSERVICE_ACTOR", None):
            return None
        ip_address = client_ip(request)
        try:
            services.begin_sign_in(username, ip_address)
        except services.SignInLocked as locked:
            # Stops authenticate() at once; the caller asks lockout_for() for the message.
            raise PermissionDenied from locked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        services.finish_sign_in(username, ip_address, succeeded=user is not None)
        return user
