from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/notices/", views.send_notices, name="send_notices"),
    path("bills/", views.bill_list, name="bills"),
    path("bills/<str:number>/", views.bill_detail, name="bill"),
    path("bills/<str:number>/notice.pdf", views.bill_notice, name="bill_notice"),
    path("bills/<str:number>/correct/", views.correction_request, name="correct"),
    path("corrections/<int:pk>/decide/", views.correction_decide, name="decide"),
    path("readings/import/", views.readings_import, name="readings_import"),
]
