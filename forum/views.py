"""Forum pages. Every view but the one-click email unsubscribe is for members only, and anyone
else — visitors, signed-in non-members, refunded learners — gets a 404. Guarded objects are
fetched through their `visible_to(user)` QuerySet method."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from courses.models import is_member, is_program_staff
from forum import rendering, services
from forum.forms import ComposerForm, ReportForm, SearchForm, SettingsForm, TopicForm
from forum.models import Category, Post, ReadState, Subscription, Topic
from lib import drafts, ratelimit

if TYPE_CHECKING:
    from accounts.models import User


class MemberRequest(HttpRequest):
    """A request that passed `member_required`: its user is a signed-in forum member."""

    user: User


POSTS_PER_PAGE = 20
# What a row of a topic list shows (forum/_topic_row.html).
TOPIC_ROW_FIELDS = (
    "id", "category_id", "title", "is_pinned", "is_locked", "is_hidden", "created_at",
    "post_count", "last_post_at", "author_id", "last_poster_id",
    "author__id", "author__display_name", "author__credentials",
    "last_poster__id", "last_poster__display_name", "last_poster__credentials",
)  # fmt: skip
# What a search result shows (forum/_search_result.html).
SEARCH_RESULT_FIELDS = (
    "id", "topic_id", "author_id", "created_at", "topic__id", "topic__title",
    "topic__category_id", "topic__category__id", "topic__category__name",
    "author__id", "author__display_name", "author__credentials",
)  # fmt: skip
POST_ARTICLE_FIELDS = (
    "id", "topic_id", "author_id", "html", "created_at", "edited_at", "is_deleted", "is_hidden",
    "author__id", "author__display_name", "author__credentials",
    "author__forum_profile__id", "author__forum_profile__handle",
)  # fmt: skip
TOPICS_PER_PAGE = 25
# A common word can match a large share of all posts. Ranking every match would make the
# search page cost more as the forum grows, so only the newest matches are ranked.
SEARCH_CANDIDATES = 500

SUSPENDED_MESSAGE = (
    "Your posting in the forum is paused by staff. You can still read everything; "
    "write to us if you think this is a mistake."
)
RATE_LIMIT_MESSAGE = (
    "You are posting very quickly. Please wait a few minutes and send again — "
    "your text is still here."
)
LOCKED_MESSAGE = "This topic is locked: it takes no new replies."


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 for anyone who is not a forum member; private pages are never cached."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_member(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _page_number(request: HttpRequest) -> int:
    if request.GET.get("page") == "last":
        return 10**9  # get_page() settles on the last page
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def _may_post(request: MemberRequest, form: ComposerForm) -> bool:
    """Suspension and the rate limit, reported on the form so that nothing typed is lost."""
    if not services.can_post(request.user):
        form.add_error(None, SUSPENDED_MESSAGE)
        return False
    allowed = ratelimit.allow(
        f"forum-post:{request.user.pk}",
        limit=settings.FORUM_POST_RATE_LIMIT,
        period=settings.FORUM_POST_RATE_PERIOD,
    )
    if not allowed:
        form.add_error(None, RATE_LIMIT_MESSAGE)
    return allowed


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """The forum's front page. Anyone else gets the 404 of every forum URL, with a word on who
    the forum is for, since the main navigation links here."""
    if not is_member(request.user):
        return render(request, "forum/members_only.html", status=404)
    return _index(request)  # type: ignore[arg-type]


def _index(request: MemberRequest) -> HttpResponse:
    profile = services.get_profile(request.user)
    categories = Category.objects.visible_to(request.user).with_stats(
        request.user, profile.marked_all_read_at
    )
    return render(
        request,
        "forum/index.html",
        {"categories": categories, "search_form": SearchForm(), "profile": profile},
    )


@member_required
def category(request: MemberRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category.objects.visible_to(request.user), slug=slug)
    profile = services.get_profile(request.user)
    topics = (
        Topic.objects.visible_to(request.user)
        .filter(category=cat)
        .with_unread(request.user, profile.marked_all_read_at)
        .select_related("author", "last_poster")
        .only(*TOPIC_ROW_FIELDS)
    )
    page = Paginator(topics, TOPICS_PER_PAGE).get_page(_page_number(request))
    return render(
        request,
        "forum/category.html",
        {"category": cat, "page": page, "can_post": not profile.posting_suspended},
    )


@member_required
def new_topic(request: MemberRequest, slug: str) -> HttpResponse:
    cat = get_object_or_404(Category.objects.visible_to(request.user), slug=slug)
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _may_post(request, form):
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
        {"form": form, "category": cat, "mode": "topic", "suspended": _suspended(request)},
        status=status,
    )


def _suspended(request: MemberRequest) -> bool:
    return not services.can_post(request.user)


@member_required
def topic(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user).select_related("category"), pk=pk)
    state = ReadState.objects.filter(user=request.user, topic=t).first()
    following = Subscription.objects.filter(user=request.user, topic=t).exists()
    # The page's ids first (an index-only scan), then its posts: an OFFSET over whole rows
    # reads twice as long on the last page of a 5,000-post topic (bench/README.md).
    post_ids = Post.objects.visible_to(request.user).filter(topic=t).values_list("id", flat=True)
    paginator = Paginator(post_ids.order_by("id"), POSTS_PER_PAGE)
    if not is_program_staff(request.user):
        # Members see the posts the topic's counter counts (`refresh_topic_stats`, run
        # under the topic's row lock on every change): no COUNT over a long topic per view.
        paginator.count = t.post_count
    page = paginator.get_page(_page_number(request))
    read_up_to = state.last_read_post_id if state else 0
    profile = services.get_profile(request.user)
    ids = list(page.object_list)
    may_moderate = _may_moderate(request)
    posts = _post_objects(ids, t)
    seen_at = profile.marked_all_read_at
    new_ids = {
        post.id
        for post in posts
        if post.id > read_up_to and (seen_at is None or post.created_at > seen_at)
    }
    if ids:
        services.mark_topic_read(user=request.user, topic=t, post_id=ids[-1], current=state)
    context = {
        "topic": t,
        "page": page,
        "posts": posts,
        "new_ids": new_ids,
        "following": following,
        "form": ComposerForm(),
        "can_reply": _can_reply(request, t),
        "suspended": profile.posting_suspended,
        "may_moderate": may_moderate,
    }
    return render(request, "forum/topic.html", context)


def _post_objects(ids: list[int], t: Topic) -> list[Post]:
    posts = list(
        Post.objects.filter(id__in=ids)
        .select_related("author__forum_profile")
        # What a post's article shows (forum/_post.html): not the Markdown source (up to
        # 20,000 characters) nor the author's account fields.
        .only(*POST_ARTICLE_FIELDS)
        .order_by("id")
    )
    for post in posts:
        post.topic = t
    return posts


def _may_moderate(request: MemberRequest) -> bool:
    return is_program_staff(request.user) and request.user.has_perm("forum.change_post")


def _can_reply(request: MemberRequest, t: Topic) -> bool:
    return (not t.is_locked or is_program_staff(request.user)) and services.can_post(request.user)


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
    elif request.method == "POST" and form.is_valid() and _may_post(request, form):
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
        "suspended": _suspended(request),
    }
    return render(request, "forum/compose.html", context, status=status)


@member_required
def post_redirect(request: MemberRequest, pk: int) -> HttpResponse:
    """Land on the page of the topic that holds the post, at its anchor."""
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
    before = Post.objects.visible_to(request.user).filter(topic_id=post.topic_id, id__lt=post.pk)
    page = before.count() // POSTS_PER_PAGE + 1
    url = reverse("forum:topic", kwargs={"pk": post.topic_id})
    return redirect(f"{url}?page={page}#post-{post.pk}" if page > 1 else f"{url}#post-{post.pk}")


@member_required
def first_unread(request: MemberRequest, pk: int) -> HttpResponse:
    t = get_object_or_404(Topic.objects.visible_to(request.user), pk=pk)
    read_up_to = services.read_marker_for(request.user, t)
    nxt = (
        Post.objects.visible_to(request.user)
        .filter(topic=t, id__gt=read_up_to)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    return redirect("forum:post", pk=nxt or t.last_post_id or t.first_post_id)


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
        "suspended": _suspended(request),
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
    if not _may_moderate(request):
        raise Http404
    post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
    if action == "hide":
        services.hide_post(post=post, by=request.user)
        messages.success(request, "The post is hidden from members. Its open reports are closed.")
    else:
        services.restore_post(post=post)
        messages.success(request, "The post is visible to members again.")
    return redirect(post)


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


def _highlight(snippet: str) -> str:
    """Escape a search snippet, then turn our private markers into <mark>."""
    return mark_safe(  # noqa: S308 - escaped first; only our own markers become tags
        escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")
    )


def _matches(user: User, query: str) -> QuerySet[Post]:
    """The posts `user` may see that match `query`, best first, with what a result shows."""
    posts = Post.objects.visible_to(user).filter(is_deleted=False)
    if connection.vendor == "postgresql":
        return _postgres_search(posts, query)
    return (
        posts.filter(Q(body__icontains=query) | Q(topic__title__icontains=query))
        .select_related("topic__category", "author")
        .only(*SEARCH_RESULT_FIELDS, "body")  # the snippet is cut from the body here
        .order_by("-id")[:SEARCH_CANDIDATES]
    )


@member_required
def search(request: MemberRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results: list[dict[str, Any]] = []
    page = None
    if query:
        page = Paginator(_matches(request.user, query), POSTS_PER_PAGE).get_page(
            _page_number(request)
        )
        results = [
            {
                "post": post,
                "snippet": _highlight(
                    getattr(post, "headline", None) or _plain_snippet(post.body, query)
                ),
            }
            for post in page.object_list
        ]
    capped = page is not None and page.paginator.count >= SEARCH_CANDIDATES
    return render(
        request,
        "forum/search.html",
        {
            "form": form,
            "query": query,
            "results": results,
            "page": page,
            "capped": capped,
            "candidates": SEARCH_CANDIDATES,
        },
    )


def _postgres_search(posts: QuerySet[Post], query: str) -> QuerySet[Post]:
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    sq = SearchQuery(query, search_type="websearch", config="english")
    newest = posts.filter(search_vector=sq).order_by("-id").values("id")[:SEARCH_CANDIDATES]
    return (
        Post.objects.filter(id__in=newest)
        .select_related("topic__category", "author")
        .only(*SEARCH_RESULT_FIELDS)  # the headline is cut from the body in the database
        .annotate(
            # F(): the stored vector itself; a bare name would be re-parsed from text per row.
            rank=SearchRank(F("search_vector"), sq),
            headline=SearchHeadline(
                "body",
                sq,
                config="english",
                start_sel="\x02",
                stop_sel="\x03",
                max_words=30,
                min_words=10,
            ),
        )
        .order_by("-rank", "-id")
    )


def _plain_snippet(body: str, query: str) -> str:
    at = body.lower().find(query.lower())
    if at < 0:
        return body[:200]
    start = max(at - 80, 0)
    end = at + len(query)
    return body[start:at] + "\x02" + body[at:end] + "\x03" + body[end : end + 120]


@csrf_exempt
@never_cache
def email_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from an email (no sign-in needed: the signed token is the key). GET asks,
    POST — from the page's button or a mail client's List-Unsubscribe-Post — unsubscribes."""
    parsed = services.read_unsubscribe_token(token)
    if parsed is None:
        raise Http404
    user_id, topic_id = parsed
    done = request.method == "POST"
    if done:
        services.unsubscribe_by_token(user_id=user_id, topic_id=topic_id)
    return render(
        request, "forum/unsubscribe.html", {"done": done, "whole_forum": topic_id is None}
    )
