from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [
    path("", views.register, name="register"),
    path("staff/", views.staff_options, name="staff_options"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
