from django.urls import path

from . import dashboards, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/<slug:name>/", dashboards.tile, name="dashboard_tile"),
    path("healthz", views.healthz, name="healthz"),
]
