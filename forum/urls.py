from django.urls import path

from forum import views

app_name = "forum"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("settings/", views.notification_settings, name="settings"),
    path("mark-all-read/", views.mark_all_read, name="mark_all_read"),
    path("unsubscribe/<signed:token>/", views.email_unsubscribe, name="email_unsubscribe"),
    path("c/<slug:slug>/", views.category, name="category"),
    path("c/<slug:slug>/new/", views.new_topic, name="new_topic"),
    path("t/<int:pk>/", views.topic, name="topic"),
    path("t/<int:pk>/reply/", views.reply, name="reply"),
    path("t/<int:pk>/unread/", views.first_unread, name="first_unread"),
    path("t/<int:pk>/follow/", views.subscribe, name="subscribe"),
    path("t/<int:pk>/unfollow/", views.unsubscribe, name="unsubscribe"),
    path("post/<int:pk>/", views.post_redirect, name="post"),
    path("post/<int:pk>/edit/", views.edit, name="edit"),
    path("post/<int:pk>/delete/", views.delete, name="delete"),
    path("post/<int:pk>/quote/", views.quote, name="quote"),
    path("post/<int:pk>/report/", views.report, name="report"),
    path("post/<int:pk>/hide/", views.moderate, {"action": "hide"}, name="hide"),
    path("post/<int:pk>/restore/", views.moderate, {"action": "restore"}, name="restore"),
]
