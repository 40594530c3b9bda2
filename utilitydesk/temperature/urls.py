from django.urls import path

from . import views

app_name = "temperature"
urlpatterns = [
    path("record/case/<str:number>/", views.record_case, name="record_case"),
    path("record/point/<int:point_id>/", views.record_point, name="record_point"),
    path(
        "request-from-complaint/<str:number>/",
        views.request_from_complaint,
        name="request_from_complaint",
    ),
    path("<str:number>/", views.measurement, name="measurement"),
    path("<str:number>/pdf/", views.measurement_pdf, name="measurement_pdf"),
]
