from django.urls import path

from lessons import views

app_name = "lessons"

urlpatterns = [
    path("lessons/search/", views.search, name="search"),
    path("courses/<slug:course_slug>/lessons/<slug:slug>/", views.lesson, name="lesson"),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/progress/",
        views.record_progress,
        name="progress",
    ),
    path("courses/<slug:course_slug>/lessons/<slug:slug>/notes/", views.edit_note, name="note"),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/position/",
        views.position,
        name="position",
    ),
    path(
        "courses/<slug:course_slug>/lessons/<slug:slug>/media/<str:kind>",
        views.lesson_media,
        name="media",
    ),
    path("podcast/<token:token>/feed.xml", views.podcast_feed, name="podcast_feed"),
    path(
        "podcast/<token:token>/episodes/<int:pk>/audio", views.podcast_audio, name="podcast_audio"
    ),
]
