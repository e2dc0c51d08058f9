from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.profile, name="profile"),
    path("emails/", views.email_settings, name="email_settings"),
    path("emails/off/<signed:token>/", views.email_off, name="email_off"),
    path("feeds/reset/", views.reset_feed_token, name="reset_feed_token"),
    path("my-data.json", views.export_data, name="export"),
    path("delete/", views.delete_account, name="delete"),
    path("deleted/", views.deleted, name="deleted"),
    path("two-factor/confirm-email/", views.mfa_setup_code, name="mfa_setup_code"),
]
