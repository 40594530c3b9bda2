"""Admin of the thermometer register and the monitoring points: read-mostly. The pages
under /temperature/points/ keep them (with their checks and change records); the admin
shows them and lets an administrator correct a field."""

from django.contrib import admin

from .models import Instrument, MonitoringPoint


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = (
        "serial_number",
        "model_name",
        "kind",
        "accuracy",
        "certificate_number",
        "certificate_expires",
        "station",
        "active",
    )
    list_filter = ("kind", "active", "station")
    search_fields = ("serial_number", "model_name", "certificate_number")

    def get_readonly_fields(self, request, obj=None):
        # The serial and the type identify the device in its records.
        return ("serial_number", "kind") if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        return False  # measurement records keep their instrument: retire it instead


@admin.register(MonitoringPoint)
class MonitoringPointAdmin(admin.ModelAdmin):
    list_display = ("premises", "station", "active", "logger", "last_visit_at", "next_due_at")
    list_filter = ("active", "station")
    search_fields = ("premises__address_text",)
    readonly_fields = ("premises", "station", "logger", "last_visit_at", "created_at")
    list_select_related = ("premises", "station", "logger")

    def has_add_permission(self, request):
        return False  # added on the points page, within the station's homes

    def has_delete_permission(self, request, obj=None):
        return False
