"""The 12345 platform's calls to us (docs/exchange-12345.md): ``POST
/api/v1/exchange/12345/orders/`` (a transferred order) and ``.../events/`` (urge, verdict,
extension decision). No staff session: the body's HMAC-SHA256 signature under the shared
secret authenticates the platform. A replay answers as the first time; a bad body gets 400
with field messages."""

from django.core.exceptions import ValidationError
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .adapters import CATEGORIES, EVENT_TYPES, VERDICTS, BadPayload, adapter


class OrderInSerializer(serializers.Serializer):
    """A transferred order, as the platform sends it (JSON, signed)."""

    order_no = serializers.CharField(max_length=40, help_text="The platform's order number")
    category = serializers.ChoiceField(choices=list(CATEGORIES))
    title = serializers.CharField(max_length=200, required=False)
    content = serializers.CharField(max_length=4000)
    caller_name = serializers.CharField(max_length=100)
    caller_phone = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=300, required=False)
    account_no = serializers.CharField(max_length=32, required=False)
    transferred_at = serializers.DateTimeField(help_text="ISO 8601 with offset")


class OrderOutSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    case_number = serializers.CharField()
    created = serializers.BooleanField(help_text="false: the order was already received")


class EventInSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=64, help_text="The platform's event id")
    order_no = serializers.CharField(max_length=40)
    type = serializers.ChoiceField(choices=list(EVENT_TYPES))
    at = serializers.DateTimeField()
    text = serializers.CharField(required=False)
    verdict = serializers.ChoiceField(choices=list(VERDICTS), required=False)
    approved = serializers.BooleanField(required=False)
    days = serializers.IntegerField(required=False, min_value=1)


class EventOutSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    created = serializers.BooleanField()


class _Signed(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes: list = []  # the signature covers the raw body

    def _checked_body(self, request) -> bytes:
        try:
            body: bytes = request._request.body
        except RawPostDataException:  # a form body, already read by the middleware
            raise exceptions.ValidationError(
                {"body": [_("Send the body as application/json.")]}
            ) from None
        if not adapter().verify(body, request.headers):
            raise exceptions.AuthenticationFailed(_("Bad or missing 12345 signature."))
        return body

    def _received(self, request, parse, receive):
        """The signed body parsed and handed to the service; bad input as field messages."""
        body = self._checked_body(request)
        try:
            return receive(parse(body))
        except BadPayload as error:
            raise exceptions.ValidationError(error.fields) from None
        except ValidationError as error:
            raise exceptions.ValidationError(
                error.message_dict if hasattr(error, "message_dict") else error.messages
            ) from None


class OrderInView(_Signed):
    """Receive one order transferred by the 12345 platform; idempotent by order number."""

    @extend_schema(
        operation_id="exchange_12345_order",
        request={"application/json": OrderInSerializer},
        responses={
            200: OrderOutSerializer,
            400: OpenApiResponse(description="field messages"),
            403: OpenApiResponse(description="bad or missing signature"),
        },
        auth=[],
    )
    def post(self, request, version=None):
        order, created = self._received(request, adapter().parse_order, services.receive_order)
        return Response(
            {"order_no": order.order_no, "case_number": order.case.number, "created": created}
        )


class EventInView(_Signed):
    """Receive an urge, the platform's verdict or its extension decision; idempotent by
    event id."""

    @extend_schema(
        operation_id="exchange_12345_event",
        request={"application/json": EventInSerializer},
        responses={
            200: EventOutSerializer,
            400: OpenApiResponse(description="field messages"),
            403: OpenApiResponse(description="bad or missing signature"),
        },
        auth=[],
    )
    def post(self, request, version=None):
        event, created = self._received(request, adapter().parse_event, services.receive_event)
        return Response({"event_id": event.event_id, "created": created})


# --- staff: the messages that did not reach the platform ----------------------------------


class TroubledMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.order_no")
    kind = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)


class RetryInSerializer(serializers.Serializer):
    messages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        min_length=1,
        max_length=200,
        help_text="Ids of failed or dead messages",
    )


class RetryOutSerializer(serializers.Serializer):
    queued = serializers.IntegerField(help_text="How many were queued to be sent again")


class TroubledMessagesView(generics.ListAPIView):
    """Failed and dead messages to the 12345 platform, oldest first (permission
    `exchange.view_exchange`)."""

    serializer_class = TroubledMessageSerializer

    def get(self, request, *args, **kwargs):
        if not request.user.has_perm(selectors.VIEW_PERMISSION):
            raise exceptions.PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.troubled_messages(self.request.user)


class RetryView(APIView):
    """Send failed or dead messages again now (permission `exchange.act_on_exchange`);
    ids of other messages are ignored."""

    @extend_schema(
        operation_id="exchange_12345_retry",
        request=RetryInSerializer,
        responses={200: RetryOutSerializer, 403: OpenApiResponse(description="not allowed")},
    )
    def post(self, request, version=None):
        if not request.user.has_perm(services.ACT_PERMISSION):
            raise exceptions.PermissionDenied
        body = RetryInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(
            {"queued": services.retry(body.validated_data["messages"], actor=request.user)}
        )
