"""The library's browse counts are counted once and kept until an entry changes (qa/browse.py):
every change to what they count shows on the next page, whichever side of a link it comes
from, and numbers counted during another request's unfinished change are not kept."""

import threading
import time

import pytest
from django.db import transaction
from django.urls import reverse

from qa import browse
from qa.models import LibraryEntry
from tests.qa.conftest import make_entry, make_lesson, make_topic
from tests.test_redis_outage import redis_server, site_on_redis  # noqa: F401 (fixtures)
from tests.threads import run_together


@pytest.fixture
def countings(monkeypatch):
    """How many times the counts were counted (not read from the cache)."""
    calls = []
    count = browse.count_published

    def counting():
        calls.append(1)
        return count()

    monkeypatch.setattr(browse, "count_published", counting)
    return calls


def sidebar(c) -> tuple[dict[str, int], dict[str, int]]:
    context = c.get(reverse("qa:library")).context
    return (
        {t["name"]: t["entry_count"] for t in context["topics"]},
        {x["title"]: x["entry_count"] for x in context["lessons"]},
    )


@pytest.mark.django_db
def test_the_counts_are_counted_once_for_every_member(
    client_for, learner, other_learner, countings
):
    make_entry(topics=[make_topic("Shame")])
    assert sidebar(client_for(learner)) == ({"Shame": 1}, {})
    assert sidebar(client_for(learner)) == ({"Shame": 1}, {})
    assert sidebar(client_for(other_learner)) == ({"Shame": 1}, {})
    assert len(countings) == 1


@pytest.mark.django_db
def test_the_counts_follow_every_change_to_an_entry_or_its_links(
    client_for, learner, course, countings
):
    shame, grief = make_topic("Shame"), make_topic("Grief")
    lesson = make_lesson(course, title="Endings")
    entry = make_entry(topics=[shame], lessons=[lesson])
    other = make_entry(topics=[shame])
    c = client_for(learner)
    assert sidebar(c) == ({"Shame": 2}, {"Endings": 1})

    entry.status = LibraryEntry.Status.DRAFT  # withdrawn
    entry.save()
    assert sidebar(c) == ({"Shame": 1}, {})
    entry.status = LibraryEntry.Status.PUBLISHED
    entry.save()
    assert sidebar(c) == ({"Shame": 2}, {"Endings": 1})

    grief.entries.add(entry)  # from the topic's side
    assert sidebar(c) == ({"Shame": 2, "Grief": 1}, {"Endings": 1})
    shame.entries.remove(other)
    assert sidebar(c) == ({"Shame": 1, "Grief": 1}, {"Endings": 1})
    lesson.library_entries.add(other)  # from the lesson's side
    assert sidebar(c) == ({"Shame": 1, "Grief": 1}, {"Endings": 2})
    entry.lessons.clear()
    assert sidebar(c) == ({"Shame": 1, "Grief": 1}, {"Endings": 1})
    entry.delete()
    assert sidebar(c) == ({}, {"Endings": 1})
    assert len(countings) == 8  # once per change, not per page


@pytest.mark.django_db
def test_renamed_or_deleted_topics_and_lessons_show_without_a_recount(
    client_for, learner, course, countings
):
    shame, grief = make_topic("Shame"), make_topic("Grief")
    lesson = make_lesson(course, title="Endings")
    make_entry(topics=[shame, grief], lessons=[lesson])
    c = client_for(learner)
    assert sidebar(c) == ({"Shame": 1, "Grief": 1}, {"Endings": 1})

    shame.name = "Shame and pride"
    shame.save()
    lesson.title = "Endings and goodbyes"
    lesson.save()
    course.title = "A renamed trimester"
    course.save()
    page = c.get(reverse("qa:library"))
    assert "A renamed trimester" in page.content.decode()
    assert sidebar(c) == ({"Shame and pride": 1, "Grief": 1}, {"Endings and goodbyes": 1})
    grief.delete()
    assert sidebar(c) == ({"Shame and pride": 1}, {"Endings and goodbyes": 1})
    assert len(countings) == 1


@pytest.mark.django_db
def test_without_the_cache_the_counts_are_counted_on_every_page(
    client_for, learner, settings, countings
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    make_entry(topics=[make_topic("Shame")])
    c = client_for(learner)
    assert sidebar(c) == ({"Shame": 1}, {})
    assert sidebar(c) == ({"Shame": 1}, {})
    assert len(countings) == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counts_taken_before_a_change_commits_are_not_kept(client_for, learner):
    """A request counts while another publishes an entry in a transaction not yet committed:
    it sees the old numbers, and stores them under the generation the change set at once.
    The commit replaces that generation, so the next page counts again."""
    topic = make_topic("Shame")
    entry = make_entry(topics=[topic], published=False)
    assert browse.published_counts() == ({}, {})
    changed, counted = threading.Event(), threading.Event()

    def publish():
        with transaction.atomic():
            entry.status = LibraryEntry.Status.PUBLISHED
            entry.save()
            changed.set()
            assert counted.wait(10)
        return "published"

    def count_meanwhile():
        assert changed.wait(10)
        try:
            return browse.published_counts()
        finally:
            counted.set()

    assert run_together([publish, count_meanwhile]) == ["published", ({}, {})]
    assert browse.published_counts() == ({topic.pk: 1}, {})
    assert sidebar(client_for(learner)) == ({"Shame": 1}, {})


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_hung_the_counts_are_counted_on_each_page_and_right_after(
    site_on_redis,  # noqa: F811
    client_for,
    learner,
    monkeypatch,
    countings,
):
    """With Redis hung the counts are counted on every page, so they are right. A change
    made meanwhile may not reach Redis; then the old numbers show once Redis answers again,
    until they expire (README, "Redis down or hung"): right again within COUNTS_SECONDS."""
    monkeypatch.setattr(browse, "COUNTS_SECONDS", 3)
    shame = make_topic("Shame")
    make_entry(topics=[shame])
    c = client_for(learner)
    assert sidebar(c) == ({"Shame": 1}, {})
    assert sidebar(c) == ({"Shame": 1}, {})
    assert len(countings) == 1  # the second page read them from Redis

    site_on_redis.pause()
    make_entry(topics=[shame])
    assert sidebar(c) == ({"Shame": 2}, {})
    assert sidebar(c) == ({"Shame": 2}, {})
    assert len(countings) == 3  # counted on each page while Redis hangs
    site_on_redis.resume()
    time.sleep(1.1)  # REDIS_CACHE_RETRY_SECONDS in site_on_redis

    deadline = time.monotonic() + 3 + 1
    while (shown := sidebar(c)) != ({"Shame": 2}, {}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert shown == ({"Shame": 2}, {})
    before = len(countings)
    assert sidebar(c) == ({"Shame": 2}, {})
    assert len(countings) == before  # and cached again
