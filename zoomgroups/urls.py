from django.urls import path

from zoomgroups import views

app_name = "zoomgroups"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.session_detail, name="session"),
    path("<int:pk>/rsvp/", views.rsvp, name="rsvp"),
    path("<int:pk>/join/", views.join, name="join"),
    path("<int:pk>/calendar.ics", views.session_ics, name="session_ics"),
    path("feed/<token:token>.ics", views.feed, name="feed"),
]
