from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, register_converter
from django.views.generic import TemplateView

from accounts import views as account_views
from courses.views import catalog
from lib import converters, health

# Before the apps' URLconfs are included: they use <token:...> and <signed:...>.
register_converter(converters.RandomToken, "token")
register_converter(converters.SignedToken, "signed")

admin.site.site_header = "How Therapy Works — staff"
admin.site.site_title = "How Therapy Works — staff"
admin.site.index_title = "Program administration"
# Staff sign in through the same page (and rate limits) as everyone else.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", catalog.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("privacy/", account_views.privacy, name="privacy"),
    path("contact/", TemplateView.as_view(template_name="pages/contact.html"), name="contact"),
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

if settings.DEBUG:
    # Only public uploads (the newsletter's infographic) have a plain URL. Lesson media are
    # private: they are served only by views that check access (lessons.views.lesson_media).
    urlpatterns += static(
        f"{settings.MEDIA_URL}newsletter/", document_root=settings.MEDIA_ROOT / "newsletter"
    )
