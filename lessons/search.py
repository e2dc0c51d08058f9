"""What the site search (lib/search.py, config/search.py) finds in the lessons: titles,
summaries, chapters and podcast transcripts of the lessons a person may open. On PostgreSQL a
ranked full-text search; on SQLite (development) every word as a substring. The snippet is cut
in Python from the shown lessons' texts (lib/search.py). The old lesson search
(/lessons/search/) leads here."""

from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import F, QuerySet

from lessons.models import Lesson
from lib import search as sitesearch

# The site search (lib/search.py, config/search.py) --------------------------------------

# What a lesson result shows, and the texts its snippet is cut from.
SITE_FIELDS = ("id", "title", "slug", "summary", "chapter_text", "podcast_transcript",
               "course__id", "course__slug", "course__number", "course__title", "course__order",
               "order")  # fmt: skip


def site_matches(user: object, query: sitesearch.Query) -> QuerySet[Lesson]:
    """Lessons `user` may open (`Lesson.objects.visible_to`) matching `query`, best first:
    titles, summaries, chapters and podcast transcripts."""
    lessons = Lesson.objects.visible_to(user).select_related("course")
    if connection.vendor == "postgresql":
        words = query.for_postgres()
        return (
            lessons.filter(search_vector=words)
            .only(*SITE_FIELDS)
            .annotate(rank=SearchRank(F("search_vector"), words))
            .order_by("-rank", "course__order", "order", "id")
        )
    return (
        lessons.filter(query.contains("title", "summary", "chapter_text", "podcast_transcript"))
        .only(*SITE_FIELDS)
        .order_by("course__order", "order", "id")
    )


def site_rows(ids: list[int]) -> QuerySet[Lesson]:
    """The lessons of `ids` as a result shows them. Checks no access: the ids come from
    `site_matches`."""
    return Lesson.objects.filter(id__in=ids).select_related("course").only(*SITE_FIELDS)


def site_hit(lesson: Lesson, query: sitesearch.Query) -> sitesearch.Hit:
    snippet = sitesearch.snippet(lesson, query, "summary", "chapter_text", "podcast_transcript")
    return sitesearch.Hit(
        title=lesson.title,
        url=lesson.get_absolute_url(),
        snippet=snippet,
        context=f"Trimester {lesson.course.number} · {lesson.course.title}",
    )


SEARCH_SECTIONS = [
    sitesearch.Section(
        kind="lessons",
        label="Lessons",
        order=10,
        matches=site_matches,
        rows=site_rows,
        hit=site_hit,
    )
]
