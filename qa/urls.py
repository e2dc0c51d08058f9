from django.urls import path

from qa import views

app_name = "qa"

urlpatterns = [
    path("questions/", views.my_questions, name="my_questions"),
    path("questions/ask/", views.ask, name="ask"),
    path("questions/<int:pk>/", views.question, name="question"),
    path("library/", views.library, name="library"),
    path("library/<int:pk>/", views.library_entry, name="library_entry"),
]
