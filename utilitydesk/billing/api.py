"""Bills and balances over the API (issue 15): what the self-service page, the WeChat account
and the 12345 exchange ask — an account's balance, overdue amount and current bills, and
its bills with their lines. Only customers the caller may see; every answer is written to
the access log."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from utilitydesk.audit.models import AccessLog
from utilitydesk.customers.selectors import visible_customers
from utilitydesk.privacy.access import PersonalDataThrottle, record_access

from . import selectors
from .models import Bill, BillStatus, LineKind

MAX_SEASON = 2200


class BillLineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LineKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=6)
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class BillSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    season = serializers.IntegerField(help_text="The heating season's first year.")
    premises_id = serializers.IntegerField()
    address = serializers.CharField(source="premises.address_text")
    status = serializers.ChoiceField(choices=BillStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    issued_at = serializers.DateTimeField()
    due_on = serializers.DateField()


class BillSerializer(BillSummarySerializer):
    account_no = serializers.CharField(source="customer.account_no")
    area_m2 = serializers.DecimalField(max_digits=10, decimal_places=2)
    area_from_building = serializers.BooleanField(
        help_text="The area is the schedule's share of the building area (usable area unknown)."
    )
    tariff_price_per_m2 = serializers.DecimalField(
        source="rate.price_per_m2", max_digits=8, decimal_places=2
    )
    tariff_method = serializers.CharField(source="rate.method")
    season_days = serializers.IntegerField()
    billed_days = serializers.IntegerField()
    stopped_days = serializers.IntegerField()
    energy_gj = serializers.DecimalField(max_digits=10, decimal_places=2)
    supersedes = serializers.CharField(source="supersedes.number", default=None, allow_null=True)
    lines = BillLineSerializer(many=True)


class BalanceSerializer(serializers.Serializer):
    account_no = serializers.CharField()
    name = serializers.CharField()
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Owed (positive) or in credit (negative)."
    )
    overdue = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Of what is owed, the part past its due day."
    )
    current_bills = BillSummarySerializer(many=True)


def _record(request, customer_ids: list[int], detail: dict) -> None:
    if customer_ids:
        record_access(
            request.user, AccessLog.Action.VIEW, customer_ids, request=request, detail=detail
        )


class AccountBalanceView(APIView):
    """An account's balance, overdue amount and current (issued) bills."""

    throttle_classes = [PersonalDataThrottle]

    @extend_schema(responses={200: BalanceSerializer})
    def get(self, request, account_no: str, version=None):
        if not selectors.may_view_bills(request.user):
            raise PermissionDenied(_("You are not allowed to read bills."))
        customer = visible_customers(request.user).filter(account_no=account_no[:32]).first()
        if customer is None:
            raise NotFound(_("Unknown account."))
        balance = selectors.balance_for(customer)
        bills = list(
            Bill.objects.filter(customer=customer, status=BillStatus.ISSUED)
            .select_related("premises")
            .order_by("-season", "number")
        )
        _record(request, [customer.pk], {"balance": customer.account_no})
        return Response(
            BalanceSerializer(
                {
                    "account_no": customer.account_no,
                    "name": customer.name,
                    "balance": balance.balance,
                    "overdue": balance.overdue,
                    "current_bills": bills,
                }
            ).data
        )


class BillListView(generics.ListAPIView):
    """Bills the caller may read, newest season first, with their lines; filter by account,
    season or status."""

    serializer_class = BillSerializer
    throttle_classes = [PersonalDataThrottle]

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = list(page or [])
        _record(
            self.request,
            list(dict.fromkeys(b.customer_id for b in rows)),
            {"bills": [b.number for b in rows][:50]},
        )
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("account", str, description="Account number."),
            OpenApiParameter("season", int, description="Heating season (its first year)."),
            OpenApiParameter("status", str, enum=BillStatus.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        if not selectors.may_view_bills(request.user):
            raise PermissionDenied(_("You are not allowed to read bills."))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        errors: dict[str, list[str]] = {}
        raw_season = params.get("season", "")
        season = None
        if raw_season:
            if raw_season.isdecimal() and 0 < int(raw_season) <= MAX_SEASON:
                season = int(raw_season)
            else:
                errors["season"] = [_("Give a number.")]
        status = params.get("status", "")
        if status and status not in BillStatus.values:
            errors["status"] = [
                _("Use one of %(values)s.") % {"values": ", ".join(BillStatus.values)}
            ]
        if errors:
            raise serializers.ValidationError(errors)
        filters = selectors.BillFilters(
            season=season, status=status, account=params.get("account", "").strip()[:32]
        )
        return selectors.with_lines(
            selectors.search_bills(self.request.user, filters).select_related("supersedes")
        )
