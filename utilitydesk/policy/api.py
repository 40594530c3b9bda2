from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .services import hotline_hours


class HotlineSerializer(serializers.Serializer):
    staffed = serializers.BooleanField(help_text="An agent answers now.")
    heating_season = serializers.BooleanField()
    hours = serializers.CharField(help_text="Staffed hours on working days, HH:MM-HH:MM.")


class HotlineView(APIView):
    """R-206, for the phone system (IVR): is the hotline staffed now? Around the clock in
    the heating season, the policy's hours on working days outside it."""

    @extend_schema(responses={200: HotlineSerializer}, operation_id="hotline_status")
    def get(self, request, version=None):
        return Response(HotlineSerializer(hotline_hours(now=timezone.now())).data)
