from django.urls import path

from . import network_views as views

app_name = "network"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("unlinked/children/", views.children, {"kind": "unlinked"}, name="unlinked"),
    path("<str:kind>/<int:pk>/children/", views.children, name="children"),
    path("import/", views.upload, name="import"),
    path("import/template.xlsx", views.template, name="template"),
]
