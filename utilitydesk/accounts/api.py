"""POST /api/v1/auth/token/: a token for a user name and password, through the same
lockout as every other way in. DELETE: revoke the token the request is made with."""

import hashlib

from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from . import services
from .authentication import ApiTokenAuthentication
from .forms import LOCKED_MESSAGE, client_ip


class ObtainTokenSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class SignInLocked(exceptions.APIException):
    """429 with Retry-After (the project's handler keeps the error shape)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "sign_in_locked"

    def __init__(self, lockout: services.Lockout):
        super().__init__(LOCKED_MESSAGE % {"minutes": lockout.minutes()})
        self.wait = lockout.retry_after_seconds()


class TokenObtainThrottle(SimpleRateThrottle):
    """Tokens minted per user name and address (API_THROTTLE_RATES["token"]); not per address
    alone, which would hold back a whole hotline behind one NAT address."""

    scope = "token"

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str):
            return None
        ident = f"{services.normalize_username(username)}|{self.get_ident(request)}"
        digest = hashlib.sha256(ident.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}


class TokenView(APIView):
    def _obtaining(self) -> bool:
        # The schema generator asks without a request.
        return getattr(getattr(self, "request", None), "method", None) == "POST"

    def get_authenticators(self):
        # Asking for a new token must not fail on the expired one the client still sends.
        return [] if self._obtaining() else [ApiTokenAuthentication()]

    def get_permissions(self):
        return [AllowAny()] if self._obtaining() else [IsAuthenticated()]

    def get_throttles(self):
        return [TokenObtainThrottle()] if self._obtaining() else []

    @extend_schema(
        request=ObtainTokenSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description=gettext_lazy("Wrong user name or password.")),
            429: OpenApiResponse(
                description=gettext_lazy("Locked after too many failed sign-ins.")
            ),
        },
        operation_id="auth_token_obtain",
        auth=[],
    )
    def post(self, request, version=None):
        credentials = ObtainTokenSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        username = credentials.validated_data["username"]
        user = authenticate(
            request, username=username, password=credentials.validated_data["password"]
        )
        if user is None:
            lockout = services.lockout_for(username, client_ip(request))
            if lockout is not None:
                raise SignInLocked(lockout)
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Unable to sign in with the user name and password.")]}
            )
        issued = services.issue_token(user, ip_address=client_ip(request))
        return Response(
            TokenSerializer({"token": issued.key, "expires_at": issued.token.expires_at}).data
        )

    @extend_schema(responses={204: None}, operation_id="auth_token_revoke")
    def delete(self, request, version=None):
        services.revoke_token(request.user, request.auth.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
