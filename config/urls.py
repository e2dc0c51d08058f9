from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter

from accounts import views as account_views
from config import search
from courses.views import catalog
from lib import converters, health
from zoomgroups import webhooks as zoom_webhooks

# Before the apps' URLconfs are included: they use <token:...> and <signed:...>.
register_converter(converters.RandomToken, "token")
register_converter(converters.SignedToken, "signed")

urlpatterns = [
    path("", catalog.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("privacy/", account_views.privacy, name="privacy"),
    path("", include("contact.urls")),
    path("search/", search.search, name="search"),
    # An account with staff powers confirms an emailed code before its first authenticator app
    # (accounts.mfa); the rest of allauth's pages as they come.
    path("accounts/2fa/totp/activate/", account_views.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("courses.urls")),
    path("", include("lessons.urls")),
    path("groups/", include("zoomgroups.urls")),
    path("zoom/webhook/", zoom_webhooks.zoom_webhook, name="zoom_webhook"),
    path("", include("qa.urls")),
    path("forum/", include("forum.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("", include("ce.urls")),
    path("", include("bookmarks.urls")),
]

# The database down or busy is a 503 that says so (lib/database.py); anything else the 500 page.
handler500 = "lib.database.server_error"


if settings.EMAIL_FEEDBACK_PROVIDER and settings.ANYMAIL.get("WEBHOOK_SECRET"):
    # The email provider's bounce and complaint reports (anymail's tracking webhook, behind its
    # basic-auth secret; without one, anymail would take anyone's posts): newsletter.subscriptions.
    from newsletter.webhooks import tracking_urlpatterns

    tracking = tracking_urlpatterns(settings.EMAIL_FEEDBACK_PROVIDER)
    urlpatterns.append(path("anymail/", include((tracking, "anymail"))))
