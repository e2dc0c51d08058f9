from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from bookmarks.models import KINDS, Bookmark, visible_targets
from lib.typed import AuthenticatedHttpRequest


@never_cache
@login_required
@require_POST
def save(request: AuthenticatedHttpRequest, kind: str, pk: int) -> HttpResponse:
    """Save something for later (`saved=1`) or take it off the list (`saved=0`). A plain
    form: it works without JavaScript, and sending it twice changes nothing."""
    if kind not in KINDS:
        raise Http404("No such kind of thing.")
    # What the person may not open answers 404, as its own page does.
    target = get_object_or_404(visible_targets(kind, request.user), pk=pk)
    on_target: dict[str, Any] = {KINDS[kind][0]: target}
    if request.POST.get("saved") == "0":
        Bookmark.objects.filter(user=request.user, **on_target).delete()
        messages.success(request, "Removed from your saved items.")
    else:
        Bookmark.objects.get_or_create(user=request.user, **on_target)
        messages.success(request, "Saved for later: your dashboard lists it.")
    back = request.POST.get("next", "")
    # Back to the page the form was on: a path of this site, never a view name or elsewhere.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = target.get_absolute_url()  # type: ignore[attr-defined]
    return HttpResponseRedirect(back)
