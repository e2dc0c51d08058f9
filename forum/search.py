"""What the site search (lib/search.py) finds in the forum: the posts `Post.objects.visible_to`
lets the person see — open categories and their own circles, nothing hidden by staff — and
not those their authors deleted, as the forum's own search (forum/views/search.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import F, QuerySet

from forum.models import Post
from lib import search as sitesearch

# What a result shows: the topic's title, its category, the author's public name, the date.
RESULT_FIELDS = (
    "id", "topic_id", "author_id", "created_at", "topic__id", "topic__title",
    "topic__category_id", "topic__category__id", "topic__category__name",
    "author__id", "author__display_name", "author__credentials",
)  # fmt: skip


def post_matches(user: object, query: sitesearch.Query) -> QuerySet[Post]:
    posts = Post.objects.visible_to(user).filter(is_deleted=False)
    if connection.vendor == "postgresql":
        words = query.for_postgres()
        newest = sitesearch.newest_matches(posts, query, "-id")
        return (
            post_rows(newest)
            .annotate(rank=SearchRank(F("search_vector"), words))
            .order_by("-rank", "-id")
        )
    found = posts.filter(query.contains("body", "topic__title")).values("id")
    return post_rows(found).order_by("-id")[: sitesearch.CANDIDATES]


def post_rows(ids: list[int] | QuerySet[Any]) -> QuerySet[Post]:
    """The posts of `ids` as a result shows them, with the body its snippet is cut from.
    Checks no access: the ids come from `post_matches`."""
    return (
        Post.objects.filter(id__in=ids)
        .select_related("topic__category", "author")
        .only(*RESULT_FIELDS, "body")
    )


def post_hit(post: Post, query: sitesearch.Query) -> sitesearch.Hit:
    return sitesearch.Hit(
        title=post.topic.title,
        url=post.get_absolute_url(),
        snippet=sitesearch.snippet(post, query, "body"),
        context=f"Forum · {post.topic.category.name} · {post.author.public_name}",
        when=post.created_at,
    )


SEARCH_SECTIONS = [
    sitesearch.Section(
        kind="forum", label="Forum", order=30, matches=post_matches, rows=post_rows, hit=post_hit
    )
]
