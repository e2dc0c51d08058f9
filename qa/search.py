"""What the site search (lib/search.py) finds in Q&A: the published Q&A Video Library, for the
members who may browse it, and the person's own questions — never anyone else's, also for
staff who may read every question in the admin."""

from __future__ import annotations

from django.contrib.postgres.search import SearchRank
from django.db import connection
from django.db.models import F, QuerySet

from lib import search as sitesearch
from qa.models import LibraryEntry, Question

# What a library result shows, and the texts its snippet is cut from.
LIBRARY_RESULT_FIELDS = ("id", "title", "published_at", "question", "answer_plain")


def library_matches(user: object, query: sitesearch.Query) -> QuerySet[LibraryEntry]:
    """Published entries (for members, `LibraryEntry.objects.visible_to`), best first, as
    the library's own search ranks them (`LibraryEntryQuerySet.search`)."""
    entries = LibraryEntry.objects.visible_to(user).published()
    return entries.search(query.text).only(*LIBRARY_RESULT_FIELDS)


def library_rows(ids: list[int]) -> QuerySet[LibraryEntry]:
    """The entries of `ids` as a result shows them. Checks no access: the ids come from
    `library_matches`."""
    return LibraryEntry.objects.filter(id__in=ids).only(*LIBRARY_RESULT_FIELDS)


def library_hit(entry: LibraryEntry, query: sitesearch.Query) -> sitesearch.Hit:
    return sitesearch.Hit(
        title=str(entry),
        url=entry.get_absolute_url(),
        snippet=sitesearch.snippet(entry, query, "question", "answer_plain"),
        context="Q&A Video Library",
        when=entry.published_at,
    )


# What a question result shows, and the text its snippet is cut from.
QUESTION_RESULT_FIELDS = ("id", "title", "status", "created_at", "text")


def question_matches(user: object, query: sitesearch.Query) -> QuerySet[Question]:
    """The person's own questions (`Question.objects.visible_to`, then only theirs)."""
    if not getattr(user, "is_authenticated", False):
        return Question.objects.none()
    mine = Question.objects.visible_to(user).filter(asker_id=getattr(user, "pk", None))
    mine = mine.only(*QUESTION_RESULT_FIELDS)
    if connection.vendor == "postgresql":
        words = query.for_postgres()
        return (
            mine.filter(search_vector=words)
            .annotate(rank=SearchRank(F("search_vector"), words))
            .order_by("-rank", "-created_at", "-id")
        )
    return mine.filter(query.contains("title", "text")).order_by("-created_at", "-id")


def question_rows(ids: list[int]) -> QuerySet[Question]:
    """The questions of `ids` as a result shows them. Checks no access: the ids come from
    `question_matches`."""
    return Question.objects.filter(id__in=ids).only(*QUESTION_RESULT_FIELDS)


def question_hit(question: Question, query: sitesearch.Query) -> sitesearch.Hit:
    return sitesearch.Hit(
        title=question.title,
        url=question.get_absolute_url(),
        snippet=sitesearch.snippet(question, query, "text"),
        context=f"Your question · {question.get_status_display()}",
        when=question.created_at,
    )


SEARCH_SECTIONS = [
    sitesearch.Section(
        kind="library",
        label="Q&A Video Library",
        order=20,
        matches=library_matches,
        rows=library_rows,
        hit=library_hit,
    ),
    sitesearch.Section(
        kind="questions",
        label="Your questions",
        order=40,
        matches=question_matches,
        rows=question_rows,
        hit=question_hit,
    ),
]
