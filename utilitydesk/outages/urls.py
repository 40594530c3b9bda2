"""Mounted under /cases/ ahead of the cases app's URLs (utilitydesk/urls.py): the fault
pages kept the paths they had when faults were part of cases, and so did the case page's
"link to a major fault" form; the interruption pages sit beside them."""

from django.urls import path

from . import detection_views, interruption_views, views

app_name = "outages"
urlpatterns = [
    path("faults/", views.fault_list, name="faults"),
    path("faults/<int:pk>/", views.fault_detail, name="fault"),
    path("<str:number>/act/link_fault/", views.link_case, name="link_case"),
    path("interruptions/", interruption_views.interruption_list, name="interruptions"),
    path("interruptions/new/", interruption_views.interruption_new, name="interruption_new"),
    path("interruptions/preview/", interruption_views.scope_preview, name="scope_preview"),
    path("interruptions/reductions/", interruption_views.reduction_list, name="reductions"),
    path("interruptions/signals/", detection_views.signals, name="signals"),
    path("interruptions/signals/<int:pk>/", detection_views.signal_detail, name="signal"),
    path(
        "interruptions/signals/<int:pk>/confirm/",
        detection_views.signal_confirm,
        name="signal_confirm",
    ),
    path(
        "interruptions/signals/<int:pk>/dismiss/",
        detection_views.signal_dismiss,
        name="signal_dismiss",
    ),
    path("interruptions/<int:pk>/", interruption_views.interruption_detail, name="interruption"),
    path(
        "interruptions/<int:pk>/act/<str:action>/",
        interruption_views.interruption_act,
        name="interruption_act",
    ),
    path("interruptions/<int:pk>/care/", interruption_views.care_call, name="care_call"),
    path(
        "<str:number>/act/link_interruption/",
        interruption_views.link_case,
        name="link_case_interruption",
    ),
]
