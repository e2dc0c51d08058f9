from django.urls import path

from bookmarks import views

app_name = "bookmarks"

urlpatterns = [
    path("saved/<slug:kind>/<int:pk>/", views.save, name="save"),
]
