from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("counter/", views.counter, name="counter"),
    path("receipts/<str:number>/", views.receipt, name="receipt"),
    path("receipts/<str:number>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("receipts/<str:number>/<str:action>/", views.correct, name="correct"),
    path("bank-files/", views.bank_files, name="bank_files"),
    path("bank-files/<int:pk>/", views.bank_file, name="bank_file"),
    path("reconciliation/", views.reconcile, name="reconcile"),
    path("reconciliation/issues/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("statistics/", views.statistics, name="statistics"),
]
