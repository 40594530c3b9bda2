from django.urls import path

from . import views

app_name = "wechat"
urlpatterns = [
    # The official account's server URL (WeChat signs every request; no session, no CSRF).
    path("", views.endpoint, name="endpoint"),
    path("messages/", views.messages, name="messages"),
    path("messages/<int:follower_id>/reply/", views.reply, name="reply"),
    # The household's WeChat notices, bound through WeChat's web-page authorisation.
    path("notices/", views.notices, name="notices"),
    path("notices/stop/", views.notices_stop, name="notices_stop"),
    path("oauth/start/", views.oauth_start, name="oauth_start"),
    path("oauth/", views.oauth_callback, name="oauth"),
]
