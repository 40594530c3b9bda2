"""/temperature/points/: monitoring points (R-704) and the thermometer register."""

from django.urls import path

from . import point_views

app_name = "temperature_points"
urlpatterns = [
    path("", point_views.point_list, name="list"),
    path("add/", point_views.point_add, name="add"),
    path("<int:pk>/", point_views.point_detail, name="detail"),
    path("<int:pk>/deactivate/", point_views.point_deactivate, name="deactivate"),
    path("<int:pk>/logger/", point_views.point_logger_import, name="logger"),
    path("<int:pk>/logger/place/", point_views.point_place_logger, name="place_logger"),
    path("<int:pk>/logger/remove/", point_views.point_remove_logger, name="remove_logger"),
    path("instruments/", point_views.instrument_list, name="instruments"),
    path("instruments/add/", point_views.instrument_add, name="instrument_add"),
    path("instruments/<int:pk>/", point_views.instrument_edit, name="instrument_edit"),
    path("instruments/<int:pk>/retire/", point_views.instrument_retire, name="instrument_retire"),
]
