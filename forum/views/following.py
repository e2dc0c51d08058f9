"""Following topics, marking everything read, the member's email settings, and the
one-click unsubscribe from forum emails."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from forum import notifications, services
from forum.forms import SettingsForm
from forum.models import Topic
from forum.views.access import MemberRequest, member_required


@member_required
@require_POST
def subscribe(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user), pk=pk)
    services.get_profile(request.user)
    services.follow_topic(user=request.user, topic=t)
    messages.success(request, "You follow this topic.")
    return redirect(t)


@member_required
@require_POST
def unsubscribe(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user), pk=pk)
    services.unfollow_topic(user=request.user, topic=t)
    messages.success(request, "You no longer follow this topic.")
    return redirect(t)


@member_required
@require_POST
def mark_all_read(request: MemberRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    messages.success(request, "Everything is marked as read.")
    return redirect("forum:index")


@member_required
def notification_settings(request: MemberRequest) -> HttpResponse:
    profile = services.get_profile(request.user)
    form = SettingsForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your forum email settings are saved.")
        return redirect("forum:settings")
    followed = (
        Topic.objects.visible_to(request.user)
        .filter(subscriptions__user=request.user)
        .select_related("category")
        .order_by("-last_post_at")[:50]
    )
    return render(
        request, "forum/settings.html", {"form": form, "profile": profile, "followed": followed}
    )


@csrf_exempt
@never_cache
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from an email (no sign-in needed: the signed token is the key). GET asks,
    POST — from the page's button or a mail client's List-Unsubscribe-Post — unsubscribes."""
    parsed = notifications.read_unsubscribe_token(token)
    if parsed is None:
        raise Http404
    user_id, topic_id = parsed
    done = request.method == "POST"
    if done:
        notifications.unsubscribe_by_token(user_id=user_id, topic_id=topic_id)
    return render(
        request, "forum/unsubscribe.html", {"done": done, "whole_forum": topic_id is None}
    )
