"""Bounded searches, the pages of a long topic, and pages that show every change at once:
nothing of a forum page is cached (issue 22), so an edit, a rename, a reply or a read shows on
the next visit, and relative times are rendered on every visit. Moved here from
tests/test_performance_fixes.py (issue 9's work); the assertions about cached fragments went
with the cache."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services as forum_services
from forum.models import Post

pytestmark = pytest.mark.django_db


def post_in(topic, author, body):
    return forum_services.create_reply(topic=topic, author=author, body=body, fmt="markdown")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.FORUM_POST_RATE_LIMIT = 1000


def test_forum_search_ranks_only_the_newest_matches_and_says_so(
    client_for, learner, category, monkeypatch
):
    monkeypatch.setattr("lib.search.CANDIDATES", 3)
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
    # from, follows.
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


def test_a_topic_page_shows_an_edited_post_and_a_renamed_author_at_once(
    client_for, learner, category
):
    topic = forum_services.create_topic(
        category=category, author=learner, title="Fresh", body="First words", fmt="markdown"
    )
    c = client_for(learner)
    url = topic.get_absolute_url()
    assert "First words" in c.get(url).content.decode()
    forum_services.edit_post(post=topic.posts.get(), body="Second words", fmt="markdown")
    edited = c.get(url).content.decode()
    assert "Second words" in edited
    assert "First words" not in edited
    learner.display_name = "Renamed Learner"
    learner.save()
    assert "Renamed Learner" in client_for(learner).get(url).content.decode()


def test_a_topic_page_reads_its_post_ids_then_its_posts_whole_in_two_queries(
    client_for, learner, second_learner, category
):
    topic = forum_services.create_topic(
        category=category, author=learner, title="Two reads", body="post 0", fmt="plain"
    )
    for i in range(1, 5):
        forum_services.create_reply(topic=topic, author=learner, body=f"post {i}", fmt="plain")
    c = client_for(second_learner)
    url = topic.get_absolute_url()
    c.get(url)

    def visit():
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        post_reads = [q for q in ctx.captured_queries if 'FROM "forum_post"' in q["sql"]]
        rendered = sum(t.name == "forum/_post.html" for t in response.templates)
        return response.content.decode(), len(post_reads), rendered

    page, post_reads, rendered = visit()
    assert (post_reads, rendered) == (2, 5)  # the page's ids, then its posts; every one rendered
    middle = topic.posts.order_by("id")[2]
    forum_services.edit_post(post=middle, body="post 2, edited", fmt="plain")
    page, post_reads, rendered = visit()
    assert (post_reads, rendered) == (2, 5)
    order = [page.index(f"post {i}") for i in (0, 1, 3, 4)]
    assert order == sorted(order)
    assert page.index("post 1") < page.index("post 2, edited") < page.index("post 3")


def test_topic_list_rows_follow_replies_and_reading(client_for, learner, second_learner, category):
    topic = forum_services.create_topic(
        category=category, author=second_learner, title="Rows", body="Opening", fmt="markdown"
    )
    c = client_for(learner)
    url = reverse("forum:category", args=[category.slug])
    first = c.get(url).content.decode()
    assert "0 replies" in first
    assert ">New<" in first
    with CaptureQueriesContext(connection) as ctx:
        c.get(url)
    topic_reads = [q for q in ctx.captured_queries if 'FROM "forum_topic"' in q["sql"]]
    assert len(topic_reads) == 2  # the count and the page's rows, with their people
    c.get(topic.get_absolute_url())  # read it
    assert ">New<" not in c.get(url).content.decode()
    post_in(topic, second_learner, "A reply")
    after = c.get(url).content.decode()
    assert "1 reply" in after
    assert "New replies" in after


def test_forum_rows_and_posts_show_the_moment_in_the_readers_time_zone(
    client_for, learner, second_learner, category
):
    """Topic rows and posts carry the moment itself: in the <time> element's datetime
    attribute and as text in the reader's own time zone, rendered afresh for a reader in
    another zone even where the post's article is cached (static/js/times.js then words it
    relatively; tests/forum/test_browser.py checks that)."""
    start = dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        topic = forum_services.create_topic(
            category=category, author=second_learner, title="Aging", body="Old words", fmt="plain"
        )
    pages = [reverse("forum:category", args=[category.slug]), topic.get_absolute_url()]
    for zone, shown in [
        ("Europe/London", "2 Mar 2026, 09:05"),
        ("America/New_York", "2 Mar 2026, 04:05"),
    ]:
        learner.time_zone = zone
        learner.save(update_fields=["time_zone"])
        c = client_for(learner)
        for url in pages:
            with time_machine.travel(start + dt.timedelta(minutes=3), tick=False):
                page = c.get(url).content.decode()
            moments = re.findall(r'<time datetime="([^"]+)" data-relative>([^<]+)</time>', page)
            assert moments, url
            assert dt.datetime.fromisoformat(moments[0][0]) == start
            assert moments[0][1] == shown, (zone, url)


def test_a_post_deleted_while_its_page_is_built_is_left_out_not_an_error(
    client_for, learner, second_learner, category, monkeypatch
):
    """Between reading a page's post ids and reading the posts, a post can be deleted (in the
    admin): the page still answers, without it."""
    from forum.views import topics

    topic = forum_services.create_topic(
        category=category, author=learner, title="Stays", body="kept words", fmt="plain"
    )
    doomed = forum_services.create_reply(topic=topic, author=learner, body="gone", fmt="plain")
    read_posts = topics.posts_shown

    def delete_then_read(ids, t):
        Post.objects.filter(pk=doomed.pk).delete()
        return read_posts(ids, t)

    monkeypatch.setattr(topics, "posts_shown", delete_then_read)
    page = client_for(second_learner).get(topic.get_absolute_url())
    assert page.status_code == 200
    assert "kept words" in page.content.decode() and "gone" not in page.content.decode()
