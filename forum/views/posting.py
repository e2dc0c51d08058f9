"""Writing in the forum: a new topic, a reply (or a quote), editing and deleting one's own
posts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from courses.models import is_program_staff
from forum import rendering, services
from forum.forms import ComposerForm, TopicForm
from forum.models import Category, Post, Topic
from forum.views.access import (
    LOCKED_MESSAGE,
    RATE_LIMIT_MESSAGE,
    SUSPENDED_MESSAGE,
    MemberRequest,
    may_post,
    member_required,
    suspended,
)
from lib import drafts


@member_required
def new_topic(request: MemberRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category.objects.visible_to(request.user), slug=slug)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and may_post(request, form):
        topic = services.create_topic(
            category=cat,
            author=request.user,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            fmt=form.cleaned_data["format"],
        )
        messages.success(request, "Your topic is posted. You follow it now.")
        return drafts.confirm_saved(redirect(topic))
    status = 429 if RATE_LIMIT_MESSAGE in form.non_field_errors() else 200
    return render(
        request,
        "forum/compose.html",
        {"form": form, "category": cat, "mode": "topic", "suspended": suspended(request)},
        status=status,
    )


@member_required
def reply(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user).select_related("category"), pk=pk)
    return _reply_page(request, t)


@member_required
def quote(request: MemberRequest, pk: int) -> HttpResponse:
    """The reply composer, prefilled with a Markdown quote of the post."""
    post = get_object_or_404(
        Post.objects.visible_to(request.user).select_related("author", "topic__category"),
        pk=pk,
        is_deleted=False,
    )
    return _reply_page(request, post.topic, quote=post)


def _reply_page(request: MemberRequest, t: Topic, quote: Post | None = None) -> HttpResponse:
    initial = {}
    if quote is not None:
        initial = {
            "body": rendering.quote_markdown(quote.body, quote.author.public_name),
            "format": Post.Format.MARKDOWN,
        }
    form = ComposerForm(request.POST or None, initial=initial)
    locked = t.is_locked and not is_program_staff(request.user)
    if request.method == "POST" and locked:
        form.add_error(None, LOCKED_MESSAGE)
    elif request.method == "POST" and form.is_valid() and may_post(request, form):
        post = services.create_reply(
            topic=t,
            author=request.user,
            body=form.cleaned_data["body"],
            fmt=form.cleaned_data["format"],
        )
        messages.success(request, "Your reply is posted.")
        return drafts.confirm_saved(redirect(post))
    status = 429 if RATE_LIMIT_MESSAGE in form.non_field_errors() else 200
    context = {
        "form": form,
        "topic": t,
        "category": t.category,
        "mode": "reply",
        "quote": quote,
        "locked": locked,
        "suspended": suspended(request),
    }
    return render(request, "forum/compose.html", context, status=status)


def _own_post(request: MemberRequest, pk: int) -> Post:
    """A post the member wrote and may still change: anyone else's answers 404."""
    return get_object_or_404(
        Post.objects.visible_to(request.user).select_related("topic"),
        pk=pk,
        author=request.user,
        is_deleted=False,
    )


@member_required
def edit(request: MemberRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    opening = post.is_opening
    form_class = TopicForm if opening else ComposerForm
    initial = {"body": post.body, "format": post.format, "title": post.topic.title}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if post.topic.is_locked and not is_program_staff(request.user):
            form.add_error(None, LOCKED_MESSAGE)
        elif not services.can_post(request.user):
            form.add_error(None, SUSPENDED_MESSAGE)
        else:
            services.edit_post(
                post=post,
                body=form.cleaned_data["body"],
                fmt=form.cleaned_data["format"],
                title=form.cleaned_data.get("title") if opening else None,
            )
            messages.success(request, "Your changes are saved.")
            return drafts.confirm_saved(redirect(post))
    context = {
        "form": form,
        "topic": post.topic,
        "category": post.topic.category,
        "mode": "edit",
        "post": post,
        "suspended": suspended(request),
    }
    return render(request, "forum/compose.html", context)


@member_required
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    post = _own_post(request, pk)
    if request.method == "POST":
        services.delete_post(post=post)
        messages.success(request, "Your post is deleted.")
        return redirect(post)
    return render(request, "forum/delete.html", {"post": post, "topic": post.topic})
