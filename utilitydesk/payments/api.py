"""Online payment notifications (docs/billing.md): ``POST /api/v1/payments/notify/<channel>/``
as the channel sends them, unauthenticated but signed; one channel implemented (Alipay's
asynchronous notification, ``alipay.py``). The answer is the channel's own: ``success`` when
handled (or handled before), ``fail`` otherwise, as text/plain."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from . import alipay
from .models import Channel


class AlipayNotificationSerializer(serializers.Serializer):
    """Alipay's asynchronous notification (异步通知), the parameters this system reads; any
    other parameter Alipay sends is part of the signed content too."""

    notify_time = serializers.CharField()
    notify_type = serializers.CharField()
    notify_id = serializers.CharField()
    app_id = serializers.CharField()
    charset = serializers.CharField(required=False)
    version = serializers.CharField(required=False)
    sign_type = serializers.ChoiceField(choices=["RSA2"])
    sign = serializers.CharField(help_text="base64 RSA-SHA256 signature by Alipay's key")
    trade_no = serializers.CharField(help_text="Alipay's trade number: one payment each")
    out_trade_no = serializers.CharField(help_text="Our order number (PaymentOrder)")
    total_amount = serializers.DecimalField(max_digits=11, decimal_places=2)
    trade_status = serializers.ChoiceField(
        choices=["WAIT_BUYER_PAY", "TRADE_CLOSED", "TRADE_SUCCESS", "TRADE_FINISHED"]
    )
    gmt_payment = serializers.CharField(required=False)


def _answer(ok: bool, status: int = 200) -> HttpResponse:
    return HttpResponse(
        "success" if ok else "fail", content_type="text/plain; charset=utf-8", status=status
    )


class PaymentNotifyView(APIView):
    """A payment channel's notification of a paid order: verified by the channel's
    signature, applied once per the channel's transaction id."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # The body is read raw: the signature covers the values exactly as sent.
    parser_classes: list = []

    @extend_schema(
        operation_id="payments_notify",
        request={"application/x-www-form-urlencoded": AlipayNotificationSerializer},
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR, description="`success` (handled) or `fail` (send again)"
            ),
            (404, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="`fail`"),
        },
        auth=[],
    )
    def post(self, request, channel: str, version=None):
        if channel != Channel.ALIPAY:
            return _answer(False, status=404)
        try:
            params = alipay.parse_body(request._request.body)
        except (UnicodeDecodeError, ValueError):
            return _answer(False)
        return _answer(alipay.handle_notification(params))
