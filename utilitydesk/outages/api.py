"""Supply interruptions over the API: what the self-service page and the 12345 exchange ask
(`GET /interruptions/?premises=…&active=1`), and what a dispatch system records and runs."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from utilitydesk.area.models import Utility

from . import interruptions as services
from .interruption_selectors import (
    MANAGE,
    VIEW,
    InterruptionFilters,
    search_interruptions,
    visible_interruptions,
)
from .models import Interruption, InterruptionKind, InterruptionState

MAX_ID = 2**63 - 1


class UnitSerializer(serializers.Serializer):
    building_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit_no = serializers.CharField(max_length=16)


class InterruptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    utility = serializers.ChoiceField(choices=Utility.choices)
    planned = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=InterruptionKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    title = serializers.CharField()
    description = serializers.CharField()
    state = serializers.ChoiceField(choices=InterruptionState.choices)
    state_label = serializers.CharField(source="get_state_display")
    station = serializers.CharField(source="station.name", default=None, allow_null=True)
    start_at = serializers.DateTimeField()
    expected_restoration_at = serializers.DateTimeField()
    actual_restoration_at = serializers.DateTimeField(allow_null=True)
    announced_at = serializers.DateTimeField(allow_null=True)
    notices_sent_at = serializers.DateTimeField(allow_null=True)
    notice_due_at = serializers.DateTimeField(allow_null=True)
    override_reason = serializers.CharField()
    override_at = serializers.DateTimeField(allow_null=True)
    source_ids = serializers.SerializerMethodField()
    substation_ids = serializers.SerializerMethodField()
    building_ids = serializers.SerializerMethodField()
    units = serializers.SerializerMethodField()
    premises_count = serializers.IntegerField()
    customers_count = serializers.IntegerField()
    special_care_count = serializers.IntegerField()
    notices_queued = serializers.IntegerField()
    linked_calls = serializers.IntegerField()
    calls_after_restoration = serializers.IntegerField()
    reduction_eligible = serializers.BooleanField()
    reduction_days = serializers.IntegerField()
    version = serializers.IntegerField()

    def get_source_ids(self, obj: Interruption) -> list[int]:
        return [s.pk for s in obj.sources.all()]

    def get_substation_ids(self, obj: Interruption) -> list[int]:
        return [s.pk for s in obj.substations.all()]

    def get_building_ids(self, obj: Interruption) -> list[int]:
        return [b.pk for b in obj.buildings.all()]

    @extend_schema_field(UnitSerializer(many=True))
    def get_units(self, obj: Interruption) -> list[dict]:
        return [{"building_id": u.building_id, "unit_no": u.unit_no} for u in obj.units.all()]


class InterruptionCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InterruptionKind.choices)
    utility = serializers.ChoiceField(choices=Utility.choices, default=Utility.HEAT)
    planned = serializers.BooleanField(default=False)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    start_at = serializers.DateTimeField()
    expected_restoration_at = serializers.DateTimeField()
    source_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    substation_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    building_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list
    )
    units = UnitSerializer(many=True, required=False, default=list)
    major_fault_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    announce = serializers.BooleanField(
        default=False, help_text="Announce at once (queue the notices) after recording."
    )
    override_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AnnounceSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=0)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Needed when a planned interruption starts within the notice lead (48 h).",
    )


class RestoreSerializer(serializers.Serializer):
    expected_version = serializers.IntegerField(required=False, min_value=0)
    note = serializers.CharField(max_length=2000)
    restored_at = serializers.DateTimeField(required=False)


def _loaded(pk: int) -> Interruption:
    return (
        Interruption.objects.select_related("station")
        .prefetch_related("sources", "substations", "buildings", "units")
        .get(pk=pk)
    )


def _conflict(exc: Exception) -> Response:
    return Response(
        {"error": {"code": "conflict", "message": str(exc), "fields": {}}},
        status=status.HTTP_409_CONFLICT,
    )


class InterruptionListView(generics.ListAPIView):
    """Interruptions the caller may see, newest first. `premises` and `active=1`: the
    interruptions in progress or announced covering those premises (what the self-service
    page and the 12345 exchange ask). POST records one (and announces it with
    `announce: true`)."""

    serializer_class = InterruptionSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("premises", int, description="Premises id: those covering it."),
            OpenApiParameter("active", bool, description="Announced or in progress only."),
            OpenApiParameter("state", str, enum=InterruptionState.values),
            OpenApiParameter("utility", str, enum=Utility.values),
            OpenApiParameter("planned", bool),
        ]
    )
    def get(self, request, *args, **kwargs):
        if not request.user.has_perm(VIEW):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        errors: dict[str, list[str]] = {}
        premises = params.get("premises", "")
        if premises and not (premises.isdecimal() and 0 < int(premises) <= MAX_ID):
            errors["premises"] = [_("A premises id is a number.")]
        if params.get("state") and params["state"] not in InterruptionState.values:
            errors["state"] = [
                _("Use one of %(values)s.") % {"values": ", ".join(InterruptionState.values)}
            ]
        if params.get("utility") and params["utility"] not in Utility.values:
            errors["utility"] = [
                _("Use one of %(values)s.") % {"values": ", ".join(Utility.values)}
            ]
        flags = {"1": True, "true": True, "0": False, "false": False}
        for name in ("active", "planned"):
            if params.get(name, "") and params[name] not in flags:
                errors[name] = [_("Use 1 or 0.")]
        if errors:
            raise serializers.ValidationError(errors)
        filters = InterruptionFilters(
            state=params.get("state", ""),
            utility=params.get("utility", ""),
            planned=flags.get(params.get("planned", "")),
            active_only=flags.get(params.get("active", ""), False),
            premises_id=int(premises) if premises else None,
        )
        return search_interruptions(self.request.user, filters).prefetch_related(
            "sources", "substations", "buildings", "units"
        )

    @extend_schema(request=InterruptionCreateSerializer, responses={201: InterruptionSerializer})
    def post(self, request, version=None):
        if not request.user.has_perm(MANAGE):
            raise PermissionDenied
        body = InterruptionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        now = timezone.now()
        interruption = services.create_interruption(
            services.InterruptionInput(
                kind=d["kind"],
                title=d["title"],
                start_at=d["start_at"],
                expected_restoration_at=d["expected_restoration_at"],
                planned=d["planned"],
                utility=d["utility"],
                description=d.get("description", ""),
                source_ids=d["source_ids"],
                substation_ids=d["substation_ids"],
                building_ids=d["building_ids"],
                units=[(u["building_id"], u["unit_no"]) for u in d["units"]],
                major_fault_id=d.get("major_fault_id"),
            ),
            actor=request.user,
            now=now,
        )
        if d["announce"]:
            services.announce(
                interruption.pk,
                actor=request.user,
                now=now,
                override_reason=d.get("override_reason", ""),
            )
        return Response(
            InterruptionSerializer(_loaded(interruption.pk)).data, status=status.HTTP_201_CREATED
        )


class InterruptionDetailView(APIView):
    @extend_schema(responses={200: InterruptionSerializer})
    def get(self, request, pk: int, version=None):
        if not request.user.has_perm(VIEW):
            raise PermissionDenied
        if not visible_interruptions(request.user).filter(pk=pk).exists():
            raise NotFound
        return Response(InterruptionSerializer(_loaded(pk)).data)


class InterruptionAnnounceView(APIView):
    """Announce a draft: the scope is materialised and every phone of every affected
    customer is queued a notice. A planned interruption starting within the notice lead
    (48 h) is refused (400, field `start_at`) unless `override_reason` is given."""

    @extend_schema(request=AnnounceSerializer, responses={200: InterruptionSerializer})
    def post(self, request, pk: int, version=None):
        body = AnnounceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.announce(
                pk,
                actor=request.user,
                now=timezone.now(),
                override_reason=body.validated_data.get("override_reason", ""),
                expected_version=body.validated_data.get("expected_version"),
            )
        except Interruption.DoesNotExist as exc:
            raise NotFound from exc
        except services.InterruptionConflict as exc:
            return _conflict(exc)
        return Response(InterruptionSerializer(_loaded(pk)).data)


class InterruptionRestoreView(APIView):
    """Supply is back: the restoration notice to every affected phone, linked cases closed.
    A second restore (two dispatchers) is refused: one restoration, one set of notices."""

    @extend_schema(request=RestoreSerializer, responses={200: InterruptionSerializer})
    def post(self, request, pk: int, version=None):
        body = RestoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.restore(
                pk,
                note=body.validated_data["note"],
                restored_at=body.validated_data.get("restored_at"),
                actor=request.user,
                now=timezone.now(),
                expected_version=body.validated_data.get("expected_version"),
            )
        except Interruption.DoesNotExist as exc:
            raise NotFound from exc
        except services.InterruptionConflict as exc:
            return _conflict(exc)
        return Response(InterruptionSerializer(_loaded(pk)).data)
