from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from utilitydesk.accounts import api as accounts_api
from utilitydesk.billing import api as billing_api
from utilitydesk.cases import api as cases_api
from utilitydesk.customers import api as customers_api
from utilitydesk.exchange import api as exchange_api
from utilitydesk.kpis import api as kpis_api
from utilitydesk.outages import api as outages_api
from utilitydesk.payments import api as payments_api
from utilitydesk.policy import api as policy_api
from utilitydesk.temperature import api as temperature_api

app_name = "v1"
urlpatterns = [
    path("auth/token/", accounts_api.TokenView.as_view(), name="token"),
    path("hotline/", policy_api.HotlineView.as_view(), name="hotline"),
    path("customers/", customers_api.CustomerListView.as_view(), name="customer-list"),
    path("customers/lookup/", customers_api.CustomerLookupView.as_view(), name="customer-lookup"),
    path("customers/<int:pk>/", customers_api.CustomerDetailView.as_view(), name="customer-detail"),
    path("kpis/", kpis_api.KpiFiguresView.as_view(), name="kpi-figures"),
    path("kpis/cases/", kpis_api.KpiRowsView.as_view(), name="kpi-rows"),
    path("contacts/", cases_api.ContactCreateView.as_view(), name="contact-create"),
    path("cases/", cases_api.CaseListView.as_view(), name="case-list"),
    path("cases/<str:number>/", cases_api.CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<str:number>/<str:action>/", cases_api.CaseActionView.as_view(), name="case-action"
    ),
    path("interruptions/", outages_api.InterruptionListView.as_view(), name="interruption-list"),
    path(
        "interruptions/<int:pk>/",
        outages_api.InterruptionDetailView.as_view(),
        name="interruption-detail",
    ),
    path(
        "interruptions/<int:pk>/announce/",
        outages_api.InterruptionAnnounceView.as_view(),
        name="interruption-announce",
    ),
    path(
        "interruptions/<int:pk>/restore/",
        outages_api.InterruptionRestoreView.as_view(),
        name="interruption-restore",
    ),
    path(
        "temperature-requests/",
        temperature_api.TemperatureRequestView.as_view(),
        name="temperature-request",
    ),
    path("measurements/", temperature_api.MeasurementListView.as_view(), name="measurement-list"),
    path(
        "accounts/<str:account_no>/balance/",
        billing_api.AccountBalanceView.as_view(),
        name="account-balance",
    ),
    path("bills/", billing_api.BillListView.as_view(), name="bill-list"),
    path(
        "payments/notify/<str:channel>/",
        payments_api.PaymentNotifyView.as_view(),
        name="payment-notify",
    ),
    # The 12345 platform's calls, signed by the platform (docs/exchange-12345.md).
    path("exchange/12345/orders/", exchange_api.OrderInView.as_view(), name="exchange-12345-order"),
    path("exchange/12345/events/", exchange_api.EventInView.as_view(), name="exchange-12345-event"),
    # Staff: the messages that did not reach the platform, and sending them again.
    path(
        "exchange/12345/messages/",
        exchange_api.TroubledMessagesView.as_view(),
        name="exchange-12345-messages",
    ),
    path(
        "exchange/12345/messages/retry/",
        exchange_api.RetryView.as_view(),
        name="exchange-12345-retry",
    ),
    # The API description is public inside the intranet; every operation it lists needs a token.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="v1:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
]
