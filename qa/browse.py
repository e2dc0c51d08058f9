"""The library's sidebar: its topics and lessons with their numbers of published entries.

Counting reads every link between an entry and a topic or lesson (thousands of rows: about
7 ms of a library page's 20 at the benchmark's scale), and the numbers change only when an
entry is published, withdrawn, deleted or filed under other topics or lessons, a few times a
week. So the numbers, the same for every member, are kept in the cache under a generation
that `library_changed` replaces at every such change (qa/apps.py connects it to the entries'
saves, deletions and links). The names, slugs and order are read on every page, so a renamed
or reordered topic, lesson or course shows at once without touching the cache.

The generation is replaced twice: at the change, for the rest of its own transaction, and
again once the transaction commits, so that numbers counted by another request from the data
before the commit are never the ones kept. The generation is read before counting. If a
change's write to the cache is lost (Redis unreachable at that moment), the old numbers show
for at most `COUNTS_SECONDS`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count

from lessons.models import Lesson
from qa.models import LibraryEntry, Topic

GENERATION_KEY = "qa:library-counts:generation"
COUNTS_SECONDS = 600

Counts = tuple[dict[int, int], dict[int, int]]


def new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def library_changed(**kwargs: Any) -> None:
    """Receiver of the signals of a change to what the counts count (qa/apps.py)."""
    new_generation()
    transaction.on_commit(new_generation)


def count_published() -> Counts:
    """The number of published entries of each topic and each lesson that has any."""

    def per(link: Any, field: str) -> dict[int, int]:  # an m2m field's `through` model
        rows = link.objects.filter(libraryentry__status=LibraryEntry.Status.PUBLISHED)
        return dict(rows.values_list(field).annotate(n=Count("id")).order_by())

    return (
        per(LibraryEntry.topics.through, "topic_id"),
        per(LibraryEntry.lessons.through, "lesson_id"),
    )


def published_counts() -> Counts:
    """`count_published()`, from the cache while no entry has changed since it was counted.
    The generation is read first (a new one is stored if there is none; with the cache
    unreachable, every page gets a new one, so every page counts)."""
    generation = cache.get_or_set(GENERATION_KEY, lambda: uuid.uuid4().hex, None)
    key = f"qa:library-counts:{generation}"
    counts: Counts | None = cache.get(key)
    if counts is None:
        counts = count_published()
        cache.set(key, counts, COUNTS_SECONDS)
    return counts


def browse_counts() -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The topics and lessons that have published entries, in their order, each with its
    `entry_count`."""
    by_topic, by_lesson = published_counts()
    topics = Topic.objects.filter(pk__in=list(by_topic)).values("pk", "slug", "name")
    lessons = (
        Lesson.objects.filter(pk__in=list(by_lesson))
        .order_by("course__order", "course__number", "order")
        .values("pk", "title", "course_id", "course__title")
    )
    return (
        [{**topic, "entry_count": by_topic[topic["pk"]]} for topic in topics],
        [{**lesson, "entry_count": by_lesson[lesson["pk"]]} for lesson in lessons],
    )
