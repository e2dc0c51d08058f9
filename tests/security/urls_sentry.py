"""The site's URLconf plus views that fail with private text at hand (Sentry tests)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def boom(request: HttpRequest, token: str) -> HttpResponse:
    text = request.POST.get("text", "")
    raise RuntimeError(f"failed after reading {len(text)} characters from {settings.REDIS_URL}")


def busy(request: HttpRequest) -> HttpResponse:
    return HttpResponse("busy", status=503)


urlpatterns = [
    path("boom/<str:token>/", boom),
    path("busy/", busy),
    path("", include("config.urls")),
]
