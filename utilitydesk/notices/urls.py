from django.urls import path

from utilitydesk.notifications.views import tencent_status_report

from . import views

app_name = "notices"
urlpatterns = [
    path("failed/", views.failed_list, name="failed"),
    path("failed/retry/", views.retry, name="retry"),
    path("failed/<int:pk>/reached/", views.reached_by_phone, name="reached"),
    # The provider's status reports (no session, no CSRF token: a secret in the path).
    path(
        "reports/tencent/<str:token>/",
        tencent_status_report,
        name="tencent_report",
    ),
]
