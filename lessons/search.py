"""Lesson search: PostgreSQL full-text search with ranked, highlighted snippets; on SQLite
(development) a plain substring match with the same kind of snippet.

Snippets are built with private markers and escaped before the markers become <mark>, so no
text from a lesson reaches the page unescaped.
"""

import re
from dataclasses import dataclass
from typing import TypedDict, cast

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_stubs_ext import WithAnnotations

from lessons.models import Lesson, LessonQuerySet
from lib import search as sitesearch

START, STOP = "\ue000", "\ue001"
MAX_RESULTS = 30


class Headline(TypedDict):
    headline: str


@dataclass
class Hit:
    lesson: Lesson
    snippet: SafeString


def highlight(text: str) -> SafeString:
    escaped = str(escape(text)).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(escaped)  # noqa: S308 - escaped above; only our own <mark> tags remain


def _plain_snippet(text: str, terms: list[str], width: int = 110) -> str:
    lowered = text.lower()
    positions = [p for t in terms if (p := lowered.find(t)) >= 0]
    start = max(0, min(positions) - width // 2) if positions else 0
    if start:  # begin and end on whole words
        start = text.find(" ", start) + 1 or start
    piece = text[start : start + width * 2]
    if start + width * 2 < len(text) and " " in piece:
        piece = piece[: piece.rfind(" ")]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    piece = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", piece)
    return ("… " if start else "") + piece + (" …" if start + width * 2 < len(text) else "")


def search_lessons(lessons: LessonQuerySet, query: str) -> list[Hit]:
    """Lessons from `lessons` (already limited to what the person may open) matching `query`."""
    query = " ".join("".join(c for c in query if c.isprintable()).split())[:200]
    if not query:
        return []
    lessons = lessons.select_related("course")
    if connection.vendor == "postgresql":
        search = SearchQuery(query, search_type="websearch", config="english")
        found = (
            lessons.filter(search_vector=search)
            .annotate(
                rank=SearchRank(F("search_vector"), search),
                headline=SearchHeadline(
                    "chapter_text",
                    search,
                    config="english",
                    start_sel=START,
                    stop_sel=STOP,
                    max_words=30,
                    min_words=12,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "course__order", "order")[:MAX_RESULTS]
        )
        # LessonQuerySet is typed for plain lessons; these carry their headline.
        found_with = cast("QuerySet[WithAnnotations[Lesson, Headline]]", found)
        return [Hit(lesson, highlight(lesson.headline or lesson.summary)) for lesson in found_with]
    terms = [t.lower() for t in query.split() if t]
    condition = Q()
    for term in terms:
        condition &= (
            Q(title__icontains=term)
            | Q(summary__icontains=term)
            | Q(chapter_text__icontains=term)
            | Q(podcast_transcript__icontains=term)
        )
    matches = lessons.filter(condition).order_by("course__order", "order")[:MAX_RESULTS]
    return [
        Hit(lesson, highlight(_plain_snippet(lesson.chapter_text or lesson.summary, terms)))
        for lesson in matches
    ]


# The site search (lib/search.py, config/search.py) --------------------------------------

# What a lesson result shows; the chapter and transcript are read only without PostgreSQL,
# where the snippet is cut in Python.
SITE_FIELDS = ("id", "title", "slug", "summary", "course__id", "course__slug", "course__number",
               "course__title", "course__order", "order")  # fmt: skip


def site_matches(user: object, query: sitesearch.Query) -> QuerySet[Lesson]:
    """Lessons `user` may open (`Lesson.objects.visible_to`) matching `query`, best first:
    titles, summaries, chapters and podcast transcripts."""
    lessons = Lesson.objects.visible_to(user).select_related("course")
    if connection.vendor == "postgresql":
        words = query.for_postgres()
        text = Concat(
            "summary", Value(" "), "chapter_text", Value(" "), "podcast_transcript",
            output_field=TextField(),
        )  # fmt: skip
        return (
            lessons.filter(search_vector=words)
            .only(*SITE_FIELDS)
            .annotate(
                rank=SearchRank(F("search_vector"), words),
                headline=sitesearch.headline(text, query),
            )
            .order_by("-rank", "course__order", "order", "id")
        )
    return (
        lessons.filter(query.contains("title", "summary", "chapter_text", "podcast_transcript"))
        .only(*SITE_FIELDS, "chapter_text", "podcast_transcript")
        .order_by("course__order", "order", "id")
    )


def site_hit(lesson: Lesson, query: sitesearch.Query) -> sitesearch.Hit:
    found = getattr(lesson, "headline", None)
    snippet = (
        sitesearch.highlight(found)
        if found is not None
        else sitesearch.plain_snippet(
            [lesson.summary, lesson.chapter_text, lesson.podcast_transcript], query
        )
    )
    return sitesearch.Hit(
        title=lesson.title,
        url=lesson.get_absolute_url(),
        snippet=snippet,
        context=f"Trimester {lesson.course.number} · {lesson.course.title}",
    )


SEARCH_SECTIONS = [
    sitesearch.Section(
        kind="lessons", label="Lessons", order=10, matches=site_matches, hit=site_hit
    )
]
