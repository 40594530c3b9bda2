from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("", views.field_list, name="list"),
    path("<str:number>/", views.field_case, name="case"),
]
