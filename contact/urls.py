from django.urls import path

from contact import views

# Site-wide pages, named without a namespace like "home" and "privacy" (templates and other
# apps link to "contact").
urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/thanks/", views.thanks, name="contact_thanks"),
    path("coaching/", views.coaching, name="coaching"),
]
