from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("", views.kpi_overview, name="overview"),
    path("rows/", views.kpi_rows, name="rows"),
    path("rates/", views.unit_rates, name="rates"),
]
