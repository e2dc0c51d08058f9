from django.urls import path

from ce import views

app_name = "ce"

urlpatterns = [
    path("ce/", views.index, name="index"),
    path("ce/<slug:course_slug>/", views.transcript, name="transcript"),
    path("ce/<slug:course_slug>/post-test/", views.post_test, name="post_test"),
    path("ce/<slug:course_slug>/evaluation/", views.evaluation, name="evaluation"),
    path("ce/<slug:course_slug>/certificate/", views.issue, name="issue"),
    path(
        "ce/<slug:course_slug>/recordings/<int:pk>/watched/",
        views.recording_watched,
        name="recording_watched",
    ),
    path("certificates/<token:code>.pdf", views.certificate_pdf_view, name="certificate_pdf"),
    path("verify/<token:code>/", views.verify, name="verify"),
]
