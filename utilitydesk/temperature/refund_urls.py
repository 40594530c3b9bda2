from django.urls import path  # noqa: F401

app_name = "temperature_refunds"
urlpatterns: list = []
