"""Mounted under /cases/ ahead of the cases app's URLs (utilitydesk/urls.py): the fault
pages kept the paths they had when faults were part of cases, and so did the case page's
"link to a major fault" form."""

from django.urls import path

from . import views

app_name = "outages"
urlpatterns = [
    path("faults/", views.fault_list, name="faults"),
    path("faults/<int:pk>/", views.fault_detail, name="fault"),
    path("<str:number>/act/link_fault/", views.link_case, name="link_case"),
]
