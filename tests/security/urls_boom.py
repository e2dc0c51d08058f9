"""The site's URLconf plus views that fail (error-report tests): error pages render as on the
real site, whose templates link to its pages."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def boom(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    raise RuntimeError(f"failed after reading {len(text)} characters")


def other_boom(request: HttpRequest) -> HttpResponse:
    raise LookupError("a different bug")


urlpatterns = [
    path("boom/", boom),
    path("boom/other/", other_boom),
    path("", include("config.urls")),
]
