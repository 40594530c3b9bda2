from django.urls import path

from . import refund_views

app_name = "temperature_refunds"
urlpatterns = [
    path("", refund_views.refund_list, name="list"),
    path("<int:pk>/decide/", refund_views.refund_decide, name="decide"),
]
