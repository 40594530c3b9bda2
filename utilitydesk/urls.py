from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from utilitydesk.kernel.api import json_not_found
from utilitydesk.privacy import views as privacy_views
from utilitydesk.surveys import views as survey_views

urlpatterns = [
    path("", include("utilitydesk.web.urls")),
    path("accounts/", include("utilitydesk.accounts.urls")),
    path("customers/", include("utilitydesk.customers.urls")),
    path("network/", include("utilitydesk.customers.network_urls")),
    # Major faults (outages) kept their /cases/faults/ paths: tried before the cases URLs.
    path("cases/", include("utilitydesk.outages.urls")),
    path("cases/", include("utilitydesk.cases.urls")),
    path("field/", include("utilitydesk.cases.field_urls")),
    path("temperature/reports/", include("utilitydesk.temperature.report_urls")),
    path("temperature/points/", include("utilitydesk.temperature.point_urls")),
    path("temperature/refunds/", include("utilitydesk.temperature.refund_urls")),
    path("temperature/", include("utilitydesk.temperature.urls")),
    path("arrears/", include("utilitydesk.arrears.urls")),
    path("billing/", include("utilitydesk.billing.urls")),
    path("payments/", include("utilitydesk.payments.urls")),
    path("sla/", include("utilitydesk.policy.urls")),
    path("inbox/", include("utilitydesk.notifications.urls")),
    path("notices/", include("utilitydesk.notices.urls")),
    # The rates page moved to kpis; old links and bookmarks keep working.
    path(
        "callbacks/rates/",
        RedirectView.as_view(pattern_name="kpis:rates", query_string=True, permanent=True),
    ),
    path("callbacks/", include("utilitydesk.callbacks.urls")),
    path("complaints/", include("utilitydesk.complaints.urls")),
    path("surveys/", include("utilitydesk.surveys.urls")),
    path("kpis/", include("utilitydesk.kpis.urls")),
    path("duty/", include("utilitydesk.duty.urls")),
    path("exchange/", include("utilitydesk.exchange.urls")),
    path("reports/", include("utilitydesk.reports.urls")),
    path("s/<str:token>/", survey_views.public_answer, name="survey_public"),
    # The customers' own pages: their own sign-in, nothing of the staff's (docs/selfservice.md).
    path("my/", include("utilitydesk.selfservice.urls")),
    # The WeChat official account's server URL and the messages agents answer (docs/wechat.md).
    path("wechat/", include("utilitydesk.wechat.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("utilitydesk.web.api_urls", namespace="v1")),
    path("api/<path:rest>", json_not_found),
    path("i18n/", include("django.conf.urls.i18n")),
    # Uploaded files only through a permission check, in every mode (docs/security.md).
    path("media/<path:path>", privacy_views.media_file, name="media"),
]

# Error pages: JSON under /api/, the product's Chinese pages elsewhere (DEBUG off).
handler400 = "utilitydesk.web.errors.bad_request"
handler403 = "utilitydesk.web.errors.permission_denied"
handler404 = "utilitydesk.web.errors.page_not_found"
handler500 = "utilitydesk.web.errors.server_error"
