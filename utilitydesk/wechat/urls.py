from django.urls import path

from . import views

app_name = "wechat"
urlpatterns = [
    # The official account's server URL (WeChat signs every request; no session, no CSRF).
    path("", views.endpoint, name="endpoint"),
    path("messages/", views.messages, name="messages"),
    path("messages/<int:follower_id>/reply/", views.reply, name="reply"),
]
