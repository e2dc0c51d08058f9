"""The pages the benchmark loads (the issue's list), found in a database `seed_load` built.

Used by bench/discover.py and by tests/test_page_budgets.py, so that the query budgets are
asserted on exactly the pages that are benchmarked.
"""

from __future__ import annotations

from django.urls import reverse

from accounts.models import User
from bench.loaddata.names import BENCH_LEARNER_EMAIL, LONG_TOPIC_TITLE
from courses.models import Course
from forum.models import Topic
from lessons.models import Lesson
from qa.models import LibraryEntry

FORUM_QUERY = "shame"
LIBRARY_QUERY = "grief"


def bench_learner() -> User:
    """The learner `seed_load` enrols in a current run of every trimester."""
    return User.objects.get(email=BENCH_LEARNER_EMAIL)


def benchmark_pages(learner: User) -> list[tuple[str, str]]:
    course = Course.objects.accessible_to(learner).order_by("order").first()
    assert course is not None, "the benchmark's learner has no course"
    lesson = Lesson.objects.filter(course=course, free_preview=False).order_by("order").first()
    assert lesson is not None
    entry = LibraryEntry.objects.published().order_by("-published_at").first()
    assert entry is not None
    long_topic = Topic.objects.select_related("category").get(title=LONG_TOPIC_TITLE)
    topic = long_topic.get_absolute_url()
    return [
        ("home", reverse("home")),
        ("dashboard", reverse("courses:dashboard")),
        ("course", course.get_absolute_url()),
        ("lesson", lesson.get_absolute_url()),
        (
            "lesson_note",
            reverse("lessons:note", kwargs={"course_slug": course.slug, "slug": lesson.slug}),
        ),
        ("library", reverse("qa:library")),
        ("library_entry", entry.get_absolute_url()),
        ("forum_topics", long_topic.category.get_absolute_url()),
        ("topic_first", topic),
        ("topic_last", f"{topic}?page=last"),
        ("forum_search", f"{reverse('forum:search')}?q={FORUM_QUERY}"),
        ("library_search", f"{reverse('qa:library')}?q={LIBRARY_QUERY}"),
        # The site search (issue 24): every kind at once, then one kind's first page.
        ("site_search", f"{reverse('search')}?q={FORUM_QUERY}"),
        ("site_search_forum", f"{reverse('search')}?q={FORUM_QUERY}&kind=forum"),
        ("email_settings", reverse("accounts:email_settings")),
    ]
