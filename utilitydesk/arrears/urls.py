from django.urls import path

from . import views

app_name = "arrears"
urlpatterns = [
    path("", views.arrears_list, name="list"),
    path("<int:pk>/", views.record_detail, name="detail"),
    path("<int:pk>/steps/", views.request_step, name="request_step"),
    path("<int:pk>/steps/<int:action_pk>/decide/", views.decide_step, name="decide"),
    path("<int:pk>/steps/<int:action_pk>/carry-out/", views.carry_out, name="carry_out"),
    path("<int:pk>/letter.pdf", views.letter, name="letter"),
    path("applications/", views.applications, name="applications"),
    path("applications/<int:pk>/reissue/", views.reissue, name="reissue"),
]
