"""A URLconf with a view that fails after reading the request body (error-report tests)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def boom(request: HttpRequest) -> HttpResponse:
    text = request.POST.get("text", "")
    raise RuntimeError(f"failed after reading {len(text)} characters")


urlpatterns = [path("boom/", boom)]
