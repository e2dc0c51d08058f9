"""Searching the posts a member may see: ranked full-text search with highlighted snippets on
PostgreSQL, a plain contains-match elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe

from forum.forms import SearchForm
from forum.models import Post
from forum.views.access import POSTS_PER_PAGE, MemberRequest, member_required, page_number

if TYPE_CHECKING:
    from accounts.models import User

# What a search result shows (forum/_search_result.html).
SEARCH_RESULT_FIELDS = (
    "id", "topic_id", "author_id", "created_at", "topic__id", "topic__title",
    "topic__category_id", "topic__category__id", "topic__category__name",
    "author__id", "author__display_name", "author__credentials",
)  # fmt: skip
# A common word can match a large share of all posts. Ranking every match would make the
# search page cost more as the forum grows, so only the newest matches are ranked.
SEARCH_CANDIDATES = 500


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
            page_number(request)
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
