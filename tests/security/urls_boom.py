"""A URLconf with views that fail (error-report tests)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def boom(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    raise RuntimeError(f"failed after reading {len(text)} characters")


def other_boom(request: HttpRequest) -> HttpResponse:
    raise LookupError("a different bug")


urlpatterns = [path("boom/", boom), path("boom/other/", other_boom)]
