"""What the issue-9 performance work changed in behaviour: bounded searches, the long topic's
pages, the library's stored search vector and cached browse counts, and lesson visits that
do not write on every reload."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import services as forum_services
from forum.models import Category, Post
from lessons.models import Progress
from qa.models import LibraryEntry
from tests import factories
from tests.qa.conftest import make_entry, make_topic, shown_entries

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(db):
    return Category.objects.create(name="Practice", slug="practice", order=1)


@pytest.fixture
def second_learner(cohort):
    user = factories.make_user("second@example.com", display_name="Sam Second")
    factories.enrol(user, cohort)
    return user


def post_in(topic, author, body):
    return forum_services.create_reply(topic=topic, author=author, body=body, fmt="markdown")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.FORUM_POST_RATE_LIMIT = 1000


def test_forum_search_ranks_only_the_newest_matches_and_says_so(
    client_for, learner, category, monkeypatch
):
    monkeypatch.setattr("forum.views.SEARCH_CANDIDATES", 3)
    topic = forum_services.create_topic(
        category=category, author=learner, title="Shame", body="shame one", fmt="markdown"
    )
    replies = [post_in(topic, learner, f"shame {word}") for word in ("two", "three", "four")]
    response = client_for(learner).get(reverse("forum:search") + "?q=shame")
    found = {r["post"].pk for r in response.context["results"]}
    assert found == {p.pk for p in replies}  # the opening post is the oldest match
    assert "among the 3 newest posts that match" in response.content.decode()


def test_forum_search_below_the_cap_says_nothing_about_it(client_for, learner, category):
    forum_services.create_topic(
        category=category, author=learner, title="Grief", body="grief here", fmt="markdown"
    )
    response = client_for(learner).get(reverse("forum:search") + "?q=grief")
    assert len(response.context["results"]) == 1
    assert "newest posts that match" not in response.content.decode()


def test_pages_of_a_long_topic_hold_the_right_posts_in_order(client_for, learner, staff, category):
    topic = forum_services.create_topic(
        category=category, author=learner, title="Long", body="post 0", fmt="markdown"
    )
    Post.objects.bulk_create(
        Post(topic=topic, author=learner, body=f"post {i}", html=f"<p>post {i}</p>")
        for i in range(1, 45)
    )
    forum_services.refresh_topic_stats(topic)
    # Hidden as staff hide a post: the topic's counter, which members' pages are counted
    # from (pages in the second half are read from the end), follows.
    forum_services.hide_post(post=Post.objects.get(topic=topic, body="post 30"), by=staff)
    c = client_for(learner)
    url = topic.get_absolute_url()

    def bodies(page: object) -> list[str]:
        return [p.html for p in c.get(f"{url}?page={page}").context["posts"]]

    def html(numbers: object) -> list[str]:
        return [f"<p>post {i}</p>" for i in numbers]  # type: ignore[attr-defined]

    assert bodies(1) == html(range(20))
    assert bodies(2) == html(i for i in range(20, 41) if i != 30)
    assert bodies("last") == html([41, 42, 43, 44])
    c = client_for(staff)  # staff also see the hidden post: 45 posts, counted
    assert bodies(2) == html(range(20, 40))
    assert bodies("last") == html(range(40, 45))


@pytest.mark.postgres
def test_library_entries_keep_a_search_vector_that_follows_their_text(client_for, learner):
    entry = make_entry(title="Working with grief", question="A client lost a parent.")
    entry.refresh_from_db()
    assert entry.search_vector is not None
    search = lambda q: list(LibraryEntry.objects.published().search(q))  # noqa: E731
    assert search("grief") == [entry]
    entry.title = "Working with silence"
    entry.save()
    assert search("grief") == []
    assert search("silence") == [entry]
    page = client_for(learner).get(reverse("qa:library") + "?q=silence")
    assert shown_entries(page) == [entry]


@pytest.mark.postgres
def test_library_search_ranks_only_the_newest_matches(monkeypatch):
    monkeypatch.setattr("qa.models.SEARCH_CANDIDATES", 2)
    entries = [make_entry(title=f"Shame, part {i}") for i in range(3)]
    found = set(LibraryEntry.objects.published().search("shame"))
    assert found == set(entries[1:])


def test_library_browse_counts_follow_a_new_entry_at_once(client_for, learner):
    shame = make_topic("Shame")
    make_entry(topics=[shame])
    c = client_for(learner)

    def counts() -> dict[str, int]:
        topics = c.get(reverse("qa:library")).context["topics"]
        return {t["name"]: t["entry_count"] for t in topics}

    assert counts() == {"Shame": 1}
    make_entry(topics=[shame])
    assert counts() == {"Shame": 2}
    grief = make_topic("Grief")
    make_entry(topics=[grief])
    assert counts() == {"Shame": 2, "Grief": 1}


def test_library_browse_counts_follow_a_renamed_topic_or_lesson_at_once(
    client_for, learner, course
):
    shame = make_topic("Shame")
    lesson = factories.make_lesson(course, title="Shame & guilt")
    entry = make_entry(topics=[shame])
    entry.lessons.add(lesson)
    c = client_for(learner)

    def names() -> tuple[list[str], list[str]]:
        context = c.get(reverse("qa:library")).context
        return [t["name"] for t in context["topics"]], [x["title"] for x in context["lessons"]]

    assert names() == (["Shame"], ["Shame & guilt"])
    shame.name = "Shame and pride"
    shame.save()
    lesson.title = "Shame, guilt and pride"
    lesson.save()
    assert names() == (["Shame and pride"], ["Shame, guilt and pride"])


def test_library_browse_counts_are_read_once_then_cached(client_for, learner):
    make_entry(topics=[make_topic("Shame")])
    c = client_for(learner)
    c.get(reverse("qa:library"))
    with CaptureQueriesContext(connection) as ctx:
        c.get(reverse("qa:library"))
    assert not [q for q in ctx.captured_queries if "entry_count" in q["sql"]]


def test_a_library_page_is_ranked_once_then_served_from_the_cache(client_for, learner):
    make_entry(title="Silence in the room")
    url = reverse("qa:library") + "?q=silence"
    c = client_for(learner)
    c.get(url)
    with CaptureQueriesContext(connection) as ctx:
        again = c.get(url)
    assert [e.title for e in shown_entries(again)] == ["Silence in the room"]
    assert not [q for q in ctx.captured_queries if "silence" in q["sql"].lower()]  # not searched


def test_a_cached_library_search_follows_added_edited_and_withdrawn_entries(
    client_for, learner, other_learner
):
    first = make_entry(title="Silence in the room")
    url = reverse("qa:library") + "?q=silence"
    c = client_for(learner)
    assert [e.title for e in shown_entries(c.get(url))] == ["Silence in the room"]

    second = make_entry(title="More silence")
    assert {e.title for e in shown_entries(c.get(url))} == {"Silence in the room", "More silence"}

    first.title = "Silence, revisited"
    first.save()
    page = client_for(other_learner).get(url)  # another member shares the cached page
    assert {e.title for e in shown_entries(page)} == {"Silence, revisited", "More silence"}
    assert "Silence in the room" not in page.content.decode()

    second.status = LibraryEntry.Status.DRAFT
    second.save()
    assert [e.title for e in shown_entries(c.get(url))] == ["Silence, revisited"]
    second.delete()
    first.delete()
    assert shown_entries(c.get(url)) == []
    assert "Nothing found" in c.get(url).content.decode()


def test_reloading_a_lesson_within_a_minute_writes_nothing(client_for, learner, course):
    lesson = factories.make_lesson(course)
    c = client_for(learner)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        c.get(lesson.get_absolute_url())  # the first visit creates the row
    first_seen = Progress.objects.get(user=learner, lesson=lesson).last_seen_at
    with time_machine.travel(start + dt.timedelta(seconds=30), tick=False):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(lesson.get_absolute_url()).status_code == 200
        assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert Progress.objects.get(user=learner, lesson=lesson).last_seen_at == first_seen
    later = start + dt.timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        c.get(lesson.get_absolute_url())
    assert Progress.objects.get(user=learner, lesson=lesson).last_seen_at == later


def test_topic_page_renders_a_post_once_and_again_when_anything_in_it_changes(
    client_for, learner, category
):
    from django.core.cache import cache

    cache.clear()
    topic = forum_services.create_topic(
        category=category, author=learner, title="Cached", body="First words", fmt="markdown"
    )
    c = client_for(learner)
    url = topic.get_absolute_url()

    def post_templates(response) -> int:
        return sum(t.name == "forum/_post.html" for t in response.templates)

    assert post_templates(c.get(url)) == 1
    again = c.get(url)
    assert post_templates(again) == 0  # served from the cache
    assert "First words" in again.content.decode()
    forum_services.edit_post(post=topic.posts.get(), body="Second words", fmt="markdown")
    edited = c.get(url).content.decode()
    assert "Second words" in edited
    assert "First words" not in edited
    learner.display_name = "Renamed Learner"
    learner.save()
    assert "Renamed Learner" in client_for(learner).get(url).content.decode()


def test_a_topic_page_reads_whole_posts_only_for_the_articles_it_must_render(
    client_for, learner, second_learner, category
):
    from django.core.cache import cache

    cache.clear()
    topic = forum_services.create_topic(
        category=category, author=learner, title="Partly cached", body="post 0", fmt="plain"
    )
    for i in range(1, 5):
        forum_services.create_reply(topic=topic, author=learner, body=f"post {i}", fmt="plain")
    c = client_for(second_learner)
    url = topic.get_absolute_url()
    c.get(url)
    c.get(url)  # read: the "new" marks are gone, and these articles are cached

    def visit():
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        post_reads = [q for q in ctx.captured_queries if 'FROM "forum_post"' in q["sql"]]
        rendered = sum(t.name == "forum/_post.html" for t in response.templates)
        return response.content.decode(), len(post_reads), rendered

    page, post_reads, rendered = visit()
    assert rendered == 0
    assert post_reads == 2  # the page's ids, then the values its cached articles are keyed on
    middle = topic.posts.order_by("id")[2]
    forum_services.edit_post(post=middle, body="post 2, edited", fmt="plain")
    page, post_reads, rendered = visit()
    assert rendered == 1
    assert post_reads == 3  # and the one post to render, whole
    order = [page.index(f"post {i}") for i in (0, 1, 3, 4)]
    assert order == sorted(order)
    assert page.index("post 1") < page.index("post 2, edited") < page.index("post 3")


def test_topic_list_rows_follow_replies_and_reading(client_for, learner, second_learner, category):
    from django.core.cache import cache

    cache.clear()
    topic = forum_services.create_topic(
        category=category, author=second_learner, title="Rows", body="Opening", fmt="markdown"
    )
    c = client_for(learner)
    url = reverse("forum:category", args=[category.slug])
    first = c.get(url).content.decode()
    assert "0 replies" in first
    assert ">New<" in first
    with CaptureQueriesContext(connection) as ctx:
        cached = c.get(url)
    assert not [t for t in cached.templates if t.name == "forum/_topic_row.html"]
    topic_reads = [q for q in ctx.captured_queries if 'FROM "forum_topic"' in q["sql"]]
    assert len(topic_reads) == 2  # the count and the rows' values: no topic read whole
    c.get(topic.get_absolute_url())  # read it
    assert ">New<" not in c.get(url).content.decode()
    post_in(topic, second_learner, "A reply")
    after = c.get(url).content.decode()
    assert "1 reply" in after
    assert "New replies" in after


def test_cached_forum_rows_and_posts_show_the_time_that_has_passed(
    client_for, learner, second_learner, category
):
    from django.core.cache import cache

    cache.clear()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        topic = forum_services.create_topic(
            category=category, author=second_learner, title="Aging", body="Old words", fmt="plain"
        )
    c = client_for(learner)
    pages = [reverse("forum:category", args=[category.slug]), topic.get_absolute_url()]
    for url in pages:
        with time_machine.travel(start + dt.timedelta(minutes=3), tick=False):
            assert "3\xa0minutes ago" in c.get(url).content.decode()
            c.get(url)  # now cached
        with time_machine.travel(start + dt.timedelta(minutes=3, seconds=50), tick=False):
            again = c.get(url)
            assert "3\xa0minutes ago" in again.content.decode()
            fragments = {"forum/_topic_row.html", "forum/_post.html"}
            assert not [t for t in again.templates if t.name in fragments]  # cached
        with time_machine.travel(start + dt.timedelta(minutes=4), tick=False):
            assert "4\xa0minutes ago" in c.get(url).content.decode()
        with time_machine.travel(start + dt.timedelta(days=2, hours=5), tick=False):
            assert "2\xa0days, 5\xa0hours ago" in c.get(url).content.decode()


def test_course_syllabus_rows_follow_the_learners_progress_and_edits(client_for, learner, course):
    from django.core.cache import cache

    from lessons import services as lesson_services

    cache.clear()
    lesson = factories.make_lesson(course, title="Cached lesson")
    c = client_for(learner)
    url = course.get_absolute_url()
    first = c.get(url)
    assert "✓ Video" not in first.content.decode()
    lesson_services.record_material(user=learner, lesson=lesson, material="video")
    assert "✓ Video" in c.get(url).content.decode()
    lesson.title = "Renamed lesson"
    lesson.save()
    assert "Renamed lesson" in c.get(url).content.decode()


def test_home_cards_and_faq_follow_edits(client, course):
    from django.core.cache import cache

    from courses.models import FaqItem

    cache.clear()
    item = FaqItem.objects.create(question="Is it online?", answer="<p>Yes, all of it.</p>")
    factories.make_lesson(course, title="Cached on the home page")
    first = client.get("/").content.decode()
    assert "Is it online?" in first
    assert "Cached on the home page" in first
    item.answer = "<p>Yes, every part.</p>"
    item.save()
    factories.make_lesson(course, title="A new lesson")
    again = client.get("/").content.decode()
    assert "Yes, every part." in again
    assert "A new lesson" in again


def test_library_cards_are_cached_and_follow_edits(client_for, learner):
    from django.core.cache import cache

    cache.clear()
    entry = make_entry(title="Before the edit")
    c = client_for(learner)
    assert "Before the edit" in c.get(reverse("qa:library")).content.decode()
    again = c.get(reverse("qa:library"))
    assert "qa/_library_card.html" not in [t.name for t in again.templates]
    entry.title = "After the edit"
    entry.save()
    assert "After the edit" in c.get(reverse("qa:library")).content.decode()


def test_a_post_or_topic_deleted_while_its_page_is_built_is_left_out_not_an_error(
    client_for, learner, second_learner, category, monkeypatch
):
    """Between reading a page's values and rendering what the cache lacks, a post or topic can
    be deleted (in the admin): the page still answers, without it."""
    from django.core.cache import cache

    from forum import views

    cache.clear()
    topic = forum_services.create_topic(
        category=category, author=learner, title="Stays", body="kept words", fmt="plain"
    )
    doomed = forum_services.create_reply(topic=topic, author=learner, body="gone", fmt="plain")
    other = forum_services.create_topic(
        category=category, author=learner, title="Vanishes", body="x", fmt="plain"
    )
    read_values, read_rows = views._post_values, views._topic_rows

    def values_then_delete(ids):
        rows = read_values(ids)
        Post.objects.filter(pk=doomed.pk).delete()
        return rows

    def rows_after_delete(rows):
        other.delete()
        return read_rows(rows)

    monkeypatch.setattr(views, "_post_values", values_then_delete)
    monkeypatch.setattr(views, "_topic_rows", rows_after_delete)
    c = client_for(second_learner)
    page = c.get(topic.get_absolute_url())
    assert page.status_code == 200
    assert "kept words" in page.content.decode() and "gone" not in page.content.decode()
    listing = c.get(reverse("forum:category", args=[category.slug]))
    assert listing.status_code == 200
    assert "Stays" in listing.content.decode() and "Vanishes" not in listing.content.decode()
