from django.urls import path

from . import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("export/", views.customer_export, name="export"),
    path("lookup/", views.customer_lookup, name="lookup"),
    path("import/", views.import_start, name="import"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("grade-approvals/", views.grade_approvals, name="grade_approvals"),
    path("grade-approvals/<int:pk>/decide/", views.grade_decide, name="grade_decide"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/premises/<int:premises_pk>/", views.premises_edit, name="premises_edit"),
    path("<int:pk>/grade/", views.grade_request, name="grade_request"),
]
