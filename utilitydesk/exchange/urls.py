from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("12345/", views.overview, name="overview"),
    path("12345/retry/", views.retry, name="retry"),
    path("12345/orders/<int:pk>/return/", views.return_order, name="return"),
    path("12345/orders/<int:pk>/extension/", views.extension, name="extension"),
]
