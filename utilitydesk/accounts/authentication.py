from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from . import services


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` against accounts.ApiToken (hashed, expiring, bound to
    the owner's password and active flag). A refused token is a 401."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = services.authenticate_token(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."))
        return (token.user, token)
