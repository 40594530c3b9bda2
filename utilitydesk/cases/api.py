import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from utilitydesk.privacy.access import PersonalDataThrottle, record_cases_shown

from . import selectors, services
from .actions import API_ACTIONS, perform_action
from .labels import ACTION_LABELS
from .models import CONTACT_CHANNELS, Case, Channel, Kind, Status
from .workflow import allowed_actions

MAX_ID = 2**63 - 1  # the largest primary key a table holds


def _finite(value: str) -> bool:
    """False for the texts a number parser reads as NaN or infinity ("NaN", "-inf", "1e999")."""
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return True  # not a number at all: a word such as "commercial" is fine


class ContactCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CONTACT_CHANNELS)
    kind = serializers.ChoiceField(choices=Kind.choices)
    content = serializers.CharField(max_length=4000)
    received_at = serializers.DateTimeField(required=False)
    customer_id = serializers.IntegerField(required=False, min_value=1)
    premises_id = serializers.IntegerField(required=False, min_value=1)
    caller_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    caller_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    emergency = serializers.BooleanField(required=False, default=False)
    answer = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    knowledge_entry_id = serializers.IntegerField(required=False, min_value=1)
    link_to_case = serializers.CharField(required=False, allow_blank=True, max_length=20)
    allow_duplicate = serializers.BooleanField(required=False, default=False)
    attributes = serializers.DictField(
        child=serializers.CharField(max_length=32),
        required=False,
        default=dict,
        help_text='Facts that choose the time limits, e.g. {"pipe_diameter_mm": "600"} (R-406).',
    )

    def validate_attributes(self, value: dict) -> dict:
        bad = sorted(key for key, text in value.items() if not _finite(text))
        if bad:
            raise serializers.ValidationError(
                [
                    _("%(key)s: a number must be finite (not NaN or Infinity).") % {"key": key}
                    for key in bad
                ]
            )
        return value


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.username", default="")
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    note = serializers.CharField()
    data = serializers.JSONField()  # type: ignore[assignment]  # a field named "data"; DRF allows it

    def get_action_label(self, event) -> str:
        return str(ACTION_LABELS.get(event.action, event.action))


class CaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    content = serializers.CharField()
    received_at = serializers.DateTimeField()
    emergency = serializers.BooleanField()
    customer_id = serializers.IntegerField(allow_null=True)
    caller_name = serializers.CharField()
    caller_phone = serializers.SerializerMethodField()
    address = serializers.CharField(source="address_text")
    responsible_unit = serializers.CharField(
        source="responsible_unit.name", default=None, allow_null=True
    )
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True)
    appointment_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    allowed_actions = serializers.SerializerMethodField()

    def get_caller_phone(self, case) -> str:
        return selectors.caller_phone_for(self.context["request"].user, case)

    def get_allowed_actions(self, case) -> list[str]:
        return allowed_actions(case.status)


class CaseDetailSerializer(CaseSerializer):
    timeline = serializers.SerializerMethodField()

    @extend_schema_field(EventSerializer(many=True))
    def get_timeline(self, case) -> list[dict]:
        user = self.context["request"].user
        return EventSerializer(selectors.shown_timeline(user, case), many=True).data  # type: ignore[return-value]  # stubs: .data is the "data" field


class ContactResultSerializer(serializers.Serializer):
    contact_id = serializers.IntegerField()
    closed_on_spot = serializers.BooleanField()
    case = CaseSerializer(allow_null=True)


def _contact_result(request, contact, fresh: bool = False) -> dict:
    """``fresh``: the contact was made in this request, its case object is current (a new
    case has no technician yet), so it is not read back."""
    if fresh and contact.case_id and contact.case.assignee_id is None:
        case = contact.case
    elif contact.case_id:
        case = Case.objects.select_related("responsible_unit", "assignee").get(pk=contact.case_id)
    else:
        case = None
    return {
        "contact_id": contact.pk,
        "closed_on_spot": contact.closed_on_spot,
        "case": CaseSerializer(case, context={"request": request}).data if case else None,
    }


class ContactCreateView(APIView):
    """Record a contact from any channel (CTI, WeChat, 12345 platform). Send an
    `Idempotency-Key` header: a retried request returns the first result (200) instead of
    creating a second case."""

    @extend_schema(
        request=ContactCreateSerializer,
        responses={201: ContactResultSerializer, 200: ContactResultSerializer},
        parameters=[
            OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)
        ],
    )
    def post(self, request, version=None):
        body = ContactCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = services.ContactInput(**body.validated_data)
        key = request.headers.get("Idempotency-Key", "").strip()
        try:
            if key:
                if len(key) > 100:
                    raise DjangoValidationError({"Idempotency-Key": ["At most 100 characters."]})
                fingerprint = services.fingerprint_of(
                    request.data if isinstance(request.data, dict) else {}
                )
                contact, created = services.create_contact_idempotent(
                    key, fingerprint, data, actor=request.user
                )
            else:
                contact, created = services.create_contact(data, actor=request.user), True
        except services.DuplicateWarning as warning:
            return Response(
                {
                    "error": {
                        "code": "duplicate",
                        "message": str(warning),
                        "fields": {},
                        "open_cases": [c.number for c in warning.cases],
                    }
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            _contact_result(request, contact, fresh=created),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CaseListView(generics.ListAPIView):
    serializer_class = CaseSerializer
    throttle_classes = [PersonalDataThrottle]

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        record_cases_shown(self.request, page or [])
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str),
            OpenApiParameter("status", str, enum=Status.values),
            OpenApiParameter("kind", str, enum=Kind.values),
            OpenApiParameter("unit", int),
            OpenApiParameter("open", bool),
            OpenApiParameter("emergency", bool),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        errors = {}
        if params.get("status") and params["status"] not in Status.values:
            errors["status"] = [f"Use one of {', '.join(Status.values)}."]
        if params.get("kind") and params["kind"] not in Kind.values:
            errors["kind"] = [f"Use one of {', '.join(Kind.values)}."]
        unit = params.get("unit", "")
        # isdecimal, not isdigit: "²" is a digit but not a number int() reads.
        if unit and not (unit.isdecimal() and int(unit) <= MAX_ID):
            errors["unit"] = ["A unit id is a number."]
        if errors:
            raise serializers.ValidationError(errors)
        filters = selectors.CaseFilters(
            q=params.get("q", "")[:100],
            status=params.get("status", ""),
            kind=params.get("kind", ""),
            unit=int(unit) if unit else None,
            open_only=params.get("open") in ("1", "true"),
            emergency_only=params.get("emergency") in ("1", "true"),
        )
        return selectors.search_cases(self.request.user, filters)


class CaseDetailView(APIView):
    throttle_classes = [PersonalDataThrottle]

    @extend_schema(responses={200: CaseDetailSerializer})
    def get(self, request, number: str, version=None):
        case = selectors.get_case(request.user, number)
        if case is None:
            raise NotFound
        record_cases_shown(request, [case])
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class ActionSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    unit_id = serializers.IntegerField(required=False, min_value=1)
    assignee_id = serializers.IntegerField(required=False, min_value=1)
    appointment_at = serializers.DateTimeField(required=False)
    work_done = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    materials = serializers.ListField(child=serializers.DictField(), required=False)
    customer_side_fault = serializers.BooleanField(required=False, default=False)
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    paid_service_handover = serializers.BooleanField(required=False, default=False)
    customer_consents_to_paid_service = serializers.BooleanField(required=False, default=False)
    signature = serializers.CharField(required=False, allow_blank=True, max_length=800_000)
    code = serializers.CharField(required=False, allow_blank=True, max_length=10)
    text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    phrase_id = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A standard phrase (reply)."
    )


class CaseActionView(APIView):
    """Every lifecycle transition: POST /cases/{number}/{action}/. Send `expected_version`
    (the case's `version` you saw) to be told, with 409, when someone acted first."""

    @extend_schema(
        request=ActionSerializer,
        responses={200: CaseDetailSerializer},
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=API_ACTIONS)],
    )
    def post(self, request, number: str, action: str, version=None):
        if action not in API_ACTIONS:
            raise NotFound
        if selectors.get_case(request.user, number) is None:
            raise NotFound
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            perform_action(request.user, number, action, body.validated_data)
        except services.ConflictError as conflict:
            return Response(
                {"error": {"code": "conflict", "message": str(conflict), "fields": {}}},
                status=status.HTTP_409_CONFLICT,
            )
        except PermissionError as exc:  # pragma: no cover - defensive
            raise PermissionDenied(str(exc)) from exc
        case = selectors.get_case(request.user, number)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)
