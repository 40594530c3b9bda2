from django.urls import path

from . import views

app_name = "kpis"
urlpatterns = [
    path("rates/", views.unit_rates, name="rates"),
]
