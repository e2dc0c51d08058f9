from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User


def baseline(request: HttpRequest) -> HttpResponse:
    """The yardstick every page is compared with: one query of 20 rows, a tiny template,
    the same middleware (session, auth) as every other page."""
    rows = list(User.objects.order_by("id").values_list("id", "display_name")[:20])
    return render(request, "bench/baseline.html", {"rows": rows})
