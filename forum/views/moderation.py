"""Members report posts; staff hide and restore them from the topic page (the admin holds
the report queue, circles and suspensions)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from forum import services
from forum.forms import ReportForm
from forum.models import Post
from forum.views.access import MemberRequest, may_moderate, member_required


@member_required
def report(request: MemberRequest, pk: int) -> HttpResponse:
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("topic"), pk=pk, is_deleted=False
    )
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.report_post(
            post=post,
            reporter=request.user,
            reason=form.cleaned_data["reason"],
            details=form.cleaned_data["details"],
        )
        messages.success(request, "Thank you. Staff will look at this post soon.")
        return redirect(post)
    return render(request, "forum/report.html", {"form": form, "post": post, "topic": post.topic})


@member_required
@require_POST
def moderate(request: MemberRequest, pk: int, action: str) -> HttpResponse:
    """Staff hide or restore a post from the topic page (the same as the admin's actions)."""
    if not may_moderate(request):
        raise Http404
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
    if action == "hide":
        services.hide_post(post=post, by=request.user)
        messages.success(request, "The post is hidden from members. Its open reports are closed.")
    else:
        services.restore_post(post=post)
        messages.success(request, "The post is visible to members again.")
    return redirect(post)
