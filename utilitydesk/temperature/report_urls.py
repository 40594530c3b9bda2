from django.urls import path

from . import report_views

app_name = "temperature_reports"
urlpatterns = [path("", report_views.report, name="report")]
