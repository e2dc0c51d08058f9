"""Reading the forum: the front page, a category's topics, a topic's posts, and the links
that land on a post or on the first unread one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache

from courses.locks import locked_page
from courses.models import is_member, is_program_staff
from forum import services
from forum.forms import ComposerForm, SearchForm
from forum.models import Category, Post, ReadState, Subscription, Topic
from forum.views.access import (
    POSTS_PER_PAGE,
    MemberRequest,
    can_reply,
    may_moderate,
    member_required,
    page_number,
)
from lib.fragments import cached_fragments, fragment_key

T = TypeVar("T")
TOPICS_PER_PAGE = 25
# What a row of a topic list shows (forum/_topic_row.html).
TOPIC_ROW_FIELDS = (
    "id", "category_id", "title", "is_pinned", "is_locked", "is_hidden", "created_at",
    "post_count", "last_post_at", "author_id", "last_poster_id",
    "author__id", "author__display_name", "author__credentials",
    "last_poster__id", "last_poster__display_name", "last_poster__credentials",
)  # fmt: skip
# What a post's article shows (forum/_post.html).
POST_ARTICLE_FIELDS = (
    "id", "topic_id", "author_id", "html", "created_at", "edited_at", "is_deleted", "is_hidden",
    "author__id", "author__display_name", "author__credentials",
    "author__forum_profile__id", "author__forum_profile__handle",
)  # fmt: skip
# A post's article and a topic's row show every reader the same (forum/_post_shared.html,
# _topic_row_shared.html): they are cached by what they show, so that an edit, a new reply or
# a new name is a new key. The reader's own parts (the "New" marks, the actions) are rendered
# outside them, and a private circle's are never cached.
FRAGMENT_SECONDS = 86400


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    """The forum's front page. Anyone else gets the locked page of every forum URL, which says
    why and how to get in (courses/locks.py)."""
    if not is_member(request.user):
        return locked_page(request, area="forum")
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
    page = Paginator(topics, TOPICS_PER_PAGE).get_page(page_number(request))
    return render(
        request,
        "forum/category.html",
        {
            "category": cat,
            "page": page,
            "rows": with_rows(list(page.object_list), cat),
            "can_post": not profile.posting_suspended,
        },
    )


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
    page = paginator.get_page(page_number(request))
    read_up_to = state.last_read_post_id if state else 0
    profile = services.get_profile(request.user)
    ids = list(page.object_list)
    posts = posts_shown(ids, t)
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
        "articles": with_articles(posts, t.category),
        "new_ids": new_ids,
        "following": following,
        "form": ComposerForm(),
        "can_reply": can_reply(request, t),
        "suspended": profile.posting_suspended,
        "may_moderate": may_moderate(request),
    }
    return render(request, "forum/topic.html", context)


def posts_shown(ids: list[int], t: Topic) -> list[Post]:
    """The page's posts in order, read by id; one deleted since its id was read is left out."""
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


def article_key(post: Post) -> str:
    """The cache key of a post's article: what forum/_post_shared.html shows of it."""
    profile = getattr(post.author, "forum_profile", None)
    return fragment_key(
        "forum-post", post.pk, post.edited_at, post.is_hidden, post.is_deleted,
        post.author.public_name, profile.handle if profile else "",
        timezone.get_current_timezone_name(),
    )  # fmt: skip


def topic_row_key(topic: Topic) -> str:
    """The cache key of a topic's row: what forum/_topic_row_shared.html shows of it."""
    return fragment_key(
        "forum-topic-row", topic.pk, topic.title, topic.is_pinned, topic.is_locked,
        topic.is_hidden, topic.post_count, topic.created_at, topic.last_post_at,
        topic.author.public_name, topic.last_poster.public_name if topic.last_poster else "",
        timezone.get_current_timezone_name(),
    )  # fmt: skip


def with_articles(posts: list[Post], cat: Category) -> list[tuple[Post, SafeString]]:
    """Each post with its article (forum/_post_shared.html)."""
    return with_shared_html(posts, cat, article_key, "forum/_post_shared.html", "post")


def with_rows(topics: list[Topic], cat: Category) -> list[tuple[Topic, SafeString]]:
    """Each topic with its row (forum/_topic_row_shared.html)."""
    return with_shared_html(topics, cat, topic_row_key, "forum/_topic_row_shared.html", "topic")


def with_shared_html(
    items: list[T], cat: Category, key: Callable[[T], str], template: str, name: str
) -> list[tuple[T, SafeString]]:
    """Each of `items` (posts or topics of `cat`) with what `template` shows every reader of
    it, given it as `name`: cached by `key`, except in a private circle."""

    def render(item: T) -> SafeString:
        return render_to_string(template, {name: item})

    if cat.is_private:
        return [(item, render(item)) for item in items]
    return list(zip(items, cached_fragments(items, key, render, FRAGMENT_SECONDS), strict=True))


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
