from django.urls import path

from forum.views import following, mentions, moderation, posting, search, topics

app_name = "forum"

urlpatterns = [
    path("", topics.index, name="index"),
    path("search/", search.search, name="search"),
    path("settings/", following.notification_settings, name="settings"),
    path("mark-all-read/", following.mark_all_read, name="mark_all_read"),
    path("unsubscribe/<signed:token>/", following.email_unsubscribe, name="email_unsubscribe"),
    path("c/<slug:slug>/", topics.category, name="category"),
    path("c/<slug:slug>/new/", posting.new_topic, name="new_topic"),
    path("c/<slug:slug>/mentions/", mentions.for_category, name="mentions_category"),
    path("t/<int:pk>/", topics.topic, name="topic"),
    path("t/<int:pk>/reply/", posting.reply, name="reply"),
    path("t/<int:pk>/mentions/", mentions.for_topic, name="mentions_topic"),
    path("t/<int:pk>/unread/", topics.first_unread, name="first_unread"),
    path("t/<int:pk>/follow/", following.subscribe, name="subscribe"),
    path("t/<int:pk>/unfollow/", following.unsubscribe, name="unsubscribe"),
    path("post/<int:pk>/", topics.post_redirect, name="post"),
    path("post/<int:pk>/edit/", posting.edit, name="edit"),
    path("post/<int:pk>/delete/", posting.delete, name="delete"),
    path("post/<int:pk>/quote/", posting.quote, name="quote"),
    path("post/<int:pk>/report/", moderation.report, name="report"),
    path("post/<int:pk>/hide/", moderation.moderate, {"action": "hide"}, name="hide"),
    path("post/<int:pk>/restore/", moderation.moderate, {"action": "restore"}, name="restore"),
]
