from django.urls import path

from . import dashboards, health, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/<slug:name>/", dashboards.tile, name="dashboard_tile"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]
