from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.intake, name="new"),
    path("knowledge/", views.knowledge_search, name="knowledge"),
    path("faults/", views.fault_list, name="faults"),
    path("faults/<int:pk>/", views.fault_detail, name="fault"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/slip.pdf", views.slip_pdf, name="slip"),
    path("<str:number>/act/<str:action>/", views.case_act, name="act"),
]
