from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from utilitydesk.audit.models import AccessLog
from utilitydesk.privacy.access import PersonalDataThrottle, client_ip, record_access

from . import selectors, services
from .models import CustomerType, Grade, SpecialCare


class CustomerSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_no = serializers.CharField()
    name = serializers.CharField()
    phones = serializers.ListField(child=serializers.CharField())
    customer_type = serializers.ChoiceField(choices=CustomerType.choices)
    grade = serializers.ChoiceField(choices=Grade.choices)
    special_care = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    station = serializers.CharField(allow_blank=True)
    grid = serializers.CharField(allow_blank=True)
    substation = serializers.CharField(allow_blank=True)
    supply_status = serializers.CharField(allow_blank=True)
    premises_count = serializers.IntegerField()


class LookupQuerySerializer(serializers.Serializer):
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    account_no = serializers.CharField(required=False, allow_blank=True, max_length=32)
    address = serializers.CharField(required=False, allow_blank=True, max_length=100)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)

    def validate(self, attrs):
        if not any(attrs.get(k) for k in ("phone", "account_no", "address", "q")):
            raise serializers.ValidationError(
                {"q": ["Give a phone number, an account number, an address fragment or q."]}
            )
        if attrs.get("address") and len(attrs["address"]) < 2:
            raise serializers.ValidationError({"address": ["At least 2 characters."]})
        return attrs


class CustomerLookupView(APIView):
    """Screen-pop: who is calling? Finds customers by any of their phone numbers, account
    number or an address fragment and returns a compact summary."""

    throttle_classes = [PersonalDataThrottle]

    @extend_schema(
        parameters=[LookupQuerySerializer],
        responses={200: CustomerSummarySerializer(many=True)},
        operation_id="customers_lookup",
    )
    def get(self, request, version=None):
        return self._lookup(request, request.query_params)

    @extend_schema(
        request=LookupQuerySerializer,
        responses={200: CustomerSummarySerializer(many=True)},
        operation_id="customers_lookup_post",
    )
    def post(self, request, version=None):
        """The same lookup with the number in the body, where request logs do not keep it."""
        return self._lookup(request, request.data)

    def _lookup(self, request, params):
        query = LookupQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        if not request.user.has_perm("customers.view_customer"):
            raise PermissionDenied
        results = selectors.lookup_customers(
            request.user, ip_address=client_ip(request), **query.validated_data
        )
        return Response(CustomerSummarySerializer(results, many=True).data)


class PremisesSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    address = serializers.CharField(source="address_text")
    station = serializers.CharField(source="station.name", default="")
    heated_area = serializers.DecimalField(max_digits=10, decimal_places=2)
    status = serializers.CharField()
    metered = serializers.BooleanField()
    meter_no = serializers.CharField()


class CustomerDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_no = serializers.CharField()
    name = serializers.CharField()
    phones = serializers.ListField(child=serializers.CharField())
    customer_type = serializers.ChoiceField(choices=CustomerType.choices)
    grade = serializers.ChoiceField(choices=Grade.choices)
    special_care = serializers.ChoiceField(choices=SpecialCare.choices)
    notes = serializers.CharField(allow_blank=True)
    premises = PremisesSerializer(many=True)


class CustomerUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, max_length=100)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, min_length=1
    )
    customer_type = serializers.ChoiceField(choices=CustomerType.choices, required=False)
    special_care = serializers.ChoiceField(
        choices=SpecialCare.choices, required=False, allow_blank=True
    )
    notes = serializers.CharField(required=False, allow_blank=True)


def _detail(user, customer) -> dict:
    summary = selectors.customer_summary(user, customer)
    return {
        **summary,
        "special_care": customer.special_care,
        "notes": customer.notes,
        "premises": list(customer.premises.all()),
    }


class CustomerListView(generics.ListAPIView):
    serializer_class = CustomerSummarySerializer
    throttle_classes = [PersonalDataThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="phone, account number, name or address"),
            OpenApiParameter("grade", str, enum=Grade.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        grade = self.request.query_params.get("grade", "")
        if grade and grade not in Grade.values:
            raise serializers.ValidationError({"grade": [f"Use one of {', '.join(Grade.values)}."]})
        q = self.request.query_params.get("q", "")[:100]
        return selectors.search_customers(
            self.request.user, selectors.CustomerFilters(q=q, grade=grade)
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        record_access(request.user, AccessLog.Action.LIST, page, request=request)
        data = [selectors.customer_summary(request.user, c) for c in page]
        return self.get_paginated_response(self.get_serializer(data, many=True).data)


class CustomerDetailView(APIView):
    throttle_classes = [PersonalDataThrottle]

    @extend_schema(responses={200: CustomerDetailSerializer})
    def get(self, request, pk: int, version=None):
        customer = self._get(request, pk)
        return Response(CustomerDetailSerializer(_detail(request.user, customer)).data)

    @extend_schema(request=CustomerUpdateSerializer, responses={200: CustomerDetailSerializer})
    def patch(self, request, pk: int, version=None):
        self._get(request, pk)
        body = CustomerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_customer(pk, dict(body.validated_data), actor=request.user, source="api")
        customer = self._get(request, pk)
        return Response(
            CustomerDetailSerializer(_detail(request.user, customer)).data,
            status=status.HTTP_200_OK,
        )

    def _get(self, request, pk):
        try:
            return selectors.get_customer(request.user, pk, ip_address=client_ip(request))
        except PermissionDenied:
            raise NotFound from None
