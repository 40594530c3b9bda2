from django.urls import path

from . import views

app_name = "duty"
urlpatterns = [
    path("", views.handover, name="handover"),
    path("roster/", views.roster, name="roster"),
    path("roster/new/", views.roster_create, name="roster_create"),
    path("roster/<int:pk>/entries/", views.roster_add, name="roster_add"),
    path("roster/<int:pk>/publish/", views.roster_publish, name="roster_publish"),
    path("roster/entries/<int:pk>/remove/", views.entry_remove, name="entry_remove"),
    path("roster/entries/<int:pk>/substitute/", views.substitute, name="substitute"),
    path("log/", views.log, name="log"),
    path("print/", views.print_log, name="print"),
    path(
        "handover/<int:unit_id>/<str:day>/<int:shift_id>/write/",
        views.handover_write,
        name="handover_write",
    ),
    path("handover/<int:pk>/accept/", views.handover_accept, name="handover_accept"),
    path("handover/<int:pk>/refuse/", views.handover_refuse, name="handover_refuse"),
]
