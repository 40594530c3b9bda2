from django.urls import path

from . import followup_views, views

app_name = "callbacks"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("followed/", followup_views.followed, name="followed"),
    path("<int:pk>/", views.task_detail, name="task"),
    path("<int:pk>/record/", views.record, name="record"),
    path("spot-checks/", views.spot_checks, name="spot_checks"),
    path("spot-checks/<int:pk>/", views.spot_check, name="spot_check"),
]
