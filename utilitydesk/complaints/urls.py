from django.urls import path

from . import views

app_name = "complaints"
urlpatterns = [path("<int:pk>/<str:action>/", views.act, name="act")]
