from django.urls import path

from . import views

app_name = "selfservice"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("bind/", views.bind, name="bind"),
    path("bind/<int:customer_id>/remove/", views.unbind, name="unbind"),
    path("report/", views.report, name="report"),
    path("temperature/", views.temperature, name="temperature"),
    path("heat/", views.heat, name="heat"),
    path("cases/", views.cases, name="cases"),
    path("cases/<str:number>/", views.case, name="case"),
    path("cases/<str:number>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("interruptions/", views.interruptions, name="interruptions"),
    path("bills/", views.bills, name="bills"),
    path("bills/<str:number>/", views.bill, name="bill"),
    path("faq/", views.faq, name="faq"),
]
