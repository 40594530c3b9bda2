from django.urls import path

from . import routing_views, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.intake, name="new"),
    path("export/", views.case_export, name="export"),
    path("area/", routing_views.area_picker, name="area"),
    path("routing/", routing_views.rule_list, name="routing"),
    path("routing/new/", routing_views.rule_edit, name="routing_new"),
    path("routing/<int:pk>/", routing_views.rule_edit, name="routing_edit"),
    path("routing/<int:pk>/<str:action>/", routing_views.rule_act, name="routing_act"),
    path("knowledge/", views.knowledge_search, name="knowledge"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/slip.pdf", views.slip_pdf, name="slip"),
    path("<str:number>/act/<str:action>/", views.case_act, name="act"),
]
