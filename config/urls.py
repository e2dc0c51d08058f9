from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from accounts import views as account_views
from courses.views import catalog
from lib import converters, health

# Before the apps' URLconfs are included: they use <token:...> and <signed:...>.
register_converter(converters.RandomToken, "token")
register_converter(converters.SignedToken, "signed")

urlpatterns = [
    path("", catalog.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("privacy/", account_views.privacy, name="privacy"),
    path("contact/", TemplateView.as_view(template_name="pages/contact.html"), name="contact"),
    # An account with staff powers confirms an emailed code before its first authenticator app
    # (accounts.mfa); the rest of allauth's pages as they come.
    path("accounts/2fa/totp/activate/", account_views.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("courses.urls")),
    path("", include("lessons.urls")),
    path("groups/", include("zoomgroups.urls")),
    path("", include("qa.urls")),
    path("forum/", include("forum.urls")),
    path("newsletter/", include("newsletter.urls")),
]
