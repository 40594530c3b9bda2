"""Indoor temperature over the API (issue 14): a customer's request for a measurement
(the 12345 exchange, WeChat), the records of a case or a home, and a technician's app
sending a signed record. The record goes through the same service as the page
(`services.record_measurement`), so both refuse the same things."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from utilitydesk.audit.models import AccessLog
from utilitydesk.cases.models import CONTACT_CHANNELS, Channel, Status
from utilitydesk.cases.services import decode_signature
from utilitydesk.privacy.access import PersonalDataThrottle, record_access

from . import record_selectors, services
from .models import Measurement, Purpose, RoomKind

MAX_ID = 2**63 - 1
MAX_SEASON = 9999


# --- requests ---------------------------------------------------------------------------------


class TemperatureRequestSerializer(serializers.Serializer):
    premises_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    content = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=4000,
        help_text="What the customer says; a standard text when empty.",
    )
    channel = serializers.ChoiceField(choices=CONTACT_CHANNELS, default=Channel.PHONE)
    caller_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    caller_phone = serializers.CharField(required=False, allow_blank=True, max_length=32)


class TemperatureRequestResultSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The case number of the measurement request.")
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()


class TemperatureRequestView(APIView):
    """A customer asks for an indoor temperature measurement (R-702): registered as a
    temperature case and routed to the premises' station like any call."""

    @extend_schema(
        request=TemperatureRequestSerializer,
        responses={201: TemperatureRequestResultSerializer},
    )
    def post(self, request, version=None):
        body = TemperatureRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        case = services.request_measurement(
            d["premises_id"],
            d.get("content", ""),
            channel=d["channel"],
            caller_name=d.get("caller_name", ""),
            caller_phone=d.get("caller_phone", ""),
            actor=request.user,
        )
        record_access(
            request.user,
            AccessLog.Action.CASE,
            [case.customer_id],
            request=request,
            detail={"cases": [case.number]},
        )
        return Response(
            {
                "number": case.number,
                "status": case.status,
                "status_label": str(case.get_status_display()),
            },
            status=status.HTTP_201_CREATED,
        )


# --- records ----------------------------------------------------------------------------------


class ReadingSerializer(serializers.Serializer):
    point = serializers.IntegerField()
    celsius = serializers.DecimalField(max_digits=4, decimal_places=1)
    read_at = serializers.DateTimeField()


class RoomSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=RoomKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    name = serializers.CharField()
    area_m2 = serializers.DecimalField(max_digits=6, decimal_places=2)
    points_required = serializers.IntegerField()
    celsius = serializers.DecimalField(max_digits=4, decimal_places=1)
    counted = serializers.BooleanField(help_text="Counts for the home's temperature.")
    passed = serializers.BooleanField()
    readings = ReadingSerializer(many=True)


class MeasurementSerializer(serializers.Serializer):
    number = serializers.CharField()
    case = serializers.CharField(source="case.number", default=None, allow_null=True)
    monitoring_point_id = serializers.IntegerField(allow_null=True)
    premises_id = serializers.IntegerField()
    customer_id = serializers.IntegerField(source="premises.customer_id")
    address = serializers.CharField(source="premises.address_text")
    station = serializers.CharField(source="station.name", default=None, allow_null=True)
    season = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    purpose_label = serializers.CharField(source="get_purpose_display")
    measured_at = serializers.DateTimeField()
    instrument = serializers.CharField(source="instrument.serial_number")
    technician = serializers.CharField(source="technician.username")
    outdoor_celsius = serializers.DecimalField(max_digits=4, decimal_places=1)
    height_m = serializers.DecimalField(max_digits=3, decimal_places=2)
    target_celsius = serializers.DecimalField(max_digits=4, decimal_places=1)
    home_celsius = serializers.DecimalField(max_digits=4, decimal_places=1)
    passed = serializers.BooleanField()
    valid = serializers.BooleanField()
    signed_at = serializers.DateTimeField(allow_null=True)
    remeasures = serializers.CharField(source="remeasures.number", default=None, allow_null=True)
    note = serializers.CharField()
    rooms = RoomSerializer(many=True)


class ReadingInputSerializer(serializers.Serializer):
    celsius = serializers.CharField(max_length=20, help_text='The reading in °C, e.g. "18.4".')
    read_at = serializers.DateTimeField(
        required=False, help_text="When it was read; the record's time when left out."
    )


class RoomInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RoomKind.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=30)
    area_m2 = serializers.CharField(max_length=20, help_text="The room's area in m².")
    readings = serializers.ListField(
        child=ReadingInputSerializer(),
        max_length=10,
        help_text="One reading per measuring point the method asks for the room's area "
        "(under 16 m²: 1; under 30 m²: 2; under 60 m²: 3; larger: 5).",
    )


class MeasurementInputSerializer(serializers.Serializer):
    case = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="The temperature case on site."
    )
    monitoring_point_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Or: the monitoring point."
    )
    instrument_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    measured_at = serializers.DateTimeField(required=False)
    outdoor_celsius = serializers.CharField(max_length=20, help_text="°C")
    height_m = serializers.CharField(max_length=20, help_text="The sensor's height in metres.")
    doors_windows_closed = serializers.BooleanField()
    no_heat_source = serializers.BooleanField()
    rooms = serializers.ListField(child=RoomInputSerializer(), max_length=20)
    signature = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=800_000,
        help_text="The customer's drawn signature as a data:image/png;base64 URL. "
        "Without it the record is refused.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _loaded(queryset):
    return queryset.select_related(
        "case", "premises", "station", "instrument", "technician", "remeasures"
    ).prefetch_related("rooms__readings")


def _record_shown(request, measurements: list[Measurement]) -> None:
    if measurements:
        record_access(
            request.user,
            AccessLog.Action.VIEW,
            [m.premises.customer_id for m in measurements],
            request=request,
            detail={"measurements": [m.number for m in measurements]},
        )


def _int_param(params, name: str, errors: dict[str, list[str]], high: int) -> int | None:
    raw = params.get(name, "")
    if not raw:
        return None
    # isdecimal, not isdigit: "²" is a digit but not a number int() reads.
    if not (raw.isdecimal() and 0 < int(raw) <= high):
        errors[name] = [_("Give a number.")]
        return None
    return int(raw)


class MeasurementListView(generics.ListAPIView):
    """Measurement records the caller may open, as on the record page (with the permission
    to read measurements, their stations' for station staff; besides, the record of any
    case they see), newest first, with their rooms and readings; filter by case number, premises or season. POST
    stores a signed record (the technician's app)."""

    serializer_class = MeasurementSerializer
    throttle_classes = [PersonalDataThrottle]

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        _record_shown(self.request, list(page or []))
        return page

    @extend_schema(
        parameters=[
            OpenApiParameter("case", str, description="Case number."),
            OpenApiParameter("premises", int, description="Premises id."),
            OpenApiParameter("season", int, description="Heating season (its first year)."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        errors: dict[str, list[str]] = {}
        premises = _int_param(params, "premises", errors, MAX_ID)
        season = _int_param(params, "season", errors, MAX_SEASON)
        case = params.get("case", "").strip()[:20]
        if errors:
            raise serializers.ValidationError(errors)
        queryset = record_selectors.visible_measurements(self.request.user)
        if case:
            queryset = queryset.filter(case__number=case)
        if premises is not None:
            queryset = queryset.filter(premises_id=premises)
        if season is not None:
            queryset = queryset.filter(season=season)
        return _loaded(queryset).order_by("-measured_at", "-pk")

    @extend_schema(
        request=MeasurementInputSerializer,
        responses={201: MeasurementSerializer},
    )
    def post(self, request, version=None):
        if not request.user.has_perm("temperature.record_measurement"):
            raise PermissionDenied(_("You are not allowed to record measurements."))
        body = MeasurementInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        signature = d.get("signature", "")
        data = services.MeasurementInput(
            instrument_id=d["instrument_id"],
            outdoor_celsius=d["outdoor_celsius"],
            height_m=d["height_m"],
            doors_windows_closed=d["doors_windows_closed"],
            no_heat_source=d["no_heat_source"],
            rooms=[
                services.RoomInput(
                    kind=room["kind"],
                    area_m2=room["area_m2"],
                    name=room.get("name", ""),
                    readings=[
                        services.ReadingInput(r["celsius"], r.get("read_at"))
                        for r in room["readings"]
                    ],
                )
                for room in d["rooms"]
            ],
            signature_png=decode_signature(signature) if signature else None,
            case_number=d.get("case", "").strip(),
            monitoring_point_id=d.get("monitoring_point_id"),
            measured_at=d.get("measured_at"),
            note=d.get("note", ""),
        )
        measurement = services.record_measurement(data, actor=request.user)
        stored = _loaded(Measurement.objects.filter(pk=measurement.pk)).get()
        _record_shown(request, [stored])
        return Response(MeasurementSerializer(stored).data, status=status.HTTP_201_CREATED)
