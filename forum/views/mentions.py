"""@mention suggestions for the composer (static/js/mentions.js): the handles that start with
what the member typed, of the members who may read the topic or category being written in —
never anyone else, so the list reveals nothing the page does not."""

from __future__ import annotations

import re

from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404

from forum.models import Category, ForumProfile, Topic
from forum.views.access import MemberRequest, member_required
from lib import ratelimit

MAX_SUGGESTIONS = 8
# One request per keystroke while typing a handle, debounced by the script.
RATE = (120, 60)
PREFIX = re.compile(r"[a-z0-9-]{0,40}", re.IGNORECASE)


@member_required
def for_topic(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user).select_related("category"), pk=pk)
    return _suggest(request, t.category, staff_only=t.is_hidden)


@member_required
def for_category(request: MemberRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category.objects.visible_to(request.user), slug=slug)
    return _suggest(request, cat, staff_only=False)


def _suggest(request: MemberRequest, category: Category, *, staff_only: bool) -> HttpResponse:
    if not ratelimit.allow(f"forum-mentions:{request.user.pk}", limit=RATE[0], period=RATE[1]):
        return JsonResponse({"error": "Too many requests; wait a minute."}, status=429)
    prefix = request.GET.get("q", "")
    if not PREFIX.fullmatch(prefix):
        return JsonResponse({"members": []})
    profiles: list[ForumProfile] = list(
        category.reader_profiles(staff_only=staff_only)
        .filter(Q(handle__istartswith=prefix) | Q(user__display_name__istartswith=prefix))
        .exclude(user=request.user)
        .select_related("user")
        .order_by("handle")[:MAX_SUGGESTIONS]
    )
    members = [{"handle": p.handle, "name": p.user.public_name} for p in profiles]
    return JsonResponse({"members": members})
