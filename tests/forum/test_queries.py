"""Query counts stay constant from 10 to 1,000 posts on the category list, a topic list and a
topic page (and stay within the house limit of 12)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.forum.conftest import add_posts, make_topic

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    from django.core.cache import cache

    client.get(url)  # first visit creates the read state
    cache.clear()  # the rate limiter's and the sessions' entries: counted with nothing cached
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    if "search" in url:  # results are found, on SQLite and PostgreSQL alike
        assert response.context["results"]
    return len(ctx.captured_queries)


def build(category, circle, learner, cohort, posts_per_topic: int, topics: int):
    others = []
    for i in range(3):
        user = factories.make_user(display_name=f"Voice {i}")
        factories.enrol(user, cohort)
        others.append(user)
    for t in range(topics):
        topic = make_topic(category, others[t % 3], title=f"Topic {t}")
        add_posts(topic, others[(t + 1) % 3], posts_per_topic)
    make_topic(circle, learner, title="Circle topic")
    return topic


@pytest.mark.parametrize("persona", ["learner", "staff"])
def test_forum_pages_use_the_same_queries_for_10_and_1000_posts(
    request, client_for, category, circle, learner, cohort, persona
):
    user = request.getfixturevalue(persona)
    c = client_for(user)

    topic = build(category, circle, learner, cohort, posts_per_topic=3, topics=3)  # ~10 posts
    urls = {
        "index": reverse("forum:index"),
        "category": reverse("forum:category", args=[category.slug]),
        "topic": topic.get_absolute_url(),
        "last page": topic.get_absolute_url() + "?page=last",
        "search": reverse("forum:search") + "?q=reply",
    }
    small = {name: count_queries(c, url) for name, url in urls.items()}

    big_topic = build(category, circle, learner, cohort, posts_per_topic=330, topics=3)  # 1,000
    urls["topic"] = big_topic.get_absolute_url()
    urls["last page"] = big_topic.get_absolute_url() + "?page=last"
    large = {name: count_queries(c, url) for name, url in urls.items()}

    assert small == large
    assert max(large.values()) <= 12, large


@pytest.mark.parametrize("persona", ["learner", "instructor"])  # without and with moderation
def test_a_topic_page_rendered_afresh_needs_no_query_per_post_or_author(
    request, client_for, category, learner, cohort, persona
):
    """The posts are read with only the fields their articles show (POST_ARTICLE_FIELDS): a
    page of twenty posts by twenty authors takes the queries of ten."""
    from django.core.cache import cache

    c = client_for(request.getfixturevalue(persona))
    topic = make_topic(category, learner, title="Many voices")

    def add_voices(numbers: range) -> None:
        for i in numbers:
            author = factories.make_user(display_name=f"Voice {i}", credentials="LMHC")
            factories.enrol(author, cohort)
            add_posts(topic, author, 1)

    def cold_queries(last_voice: str) -> int:
        c.get(topic.get_absolute_url())  # the read state is there when measuring
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(topic.get_absolute_url())
        assert response.status_code == 200
        assert f"{last_voice}, LMHC" in response.content.decode()
        return len(ctx.captured_queries)

    add_voices(range(9))
    ten = cold_queries("Voice 8")
    add_voices(range(9, 19))
    assert cold_queries("Voice 18") == ten


def test_search_results_rendered_afresh_need_no_query_per_result(
    client_for, category, learner, cohort
):
    """Results are read with only the fields they show (SEARCH_RESULT_FIELDS)."""
    from django.core.cache import cache

    c = client_for(learner)
    url = reverse("forum:search") + "?q=avoidance"

    def add_voices(numbers: range) -> None:
        for i in numbers:
            author = factories.make_user(display_name=f"Voice {i}", credentials="LMHC")
            factories.enrol(author, cohort)
            topic = make_topic(category, author, title=f"Avoidance {i}", body="On avoidance.")
            add_posts(topic, author, 1, body="More avoidance {i}")

    def cold_queries(last_voice: str) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200
        assert f"{last_voice}, LMHC" in response.content.decode()
        return len(ctx.captured_queries)

    add_voices(range(3))
    few = cold_queries("Voice 2")
    add_voices(range(3, 9))
    assert cold_queries("Voice 8") == few


def test_a_topic_list_rendered_afresh_needs_no_query_per_topic_or_person(
    client_for, category, learner, cohort
):
    """Topic rows are read with only the fields they show (TOPIC_ROW_FIELDS)."""
    from django.core.cache import cache

    c = client_for(learner)
    url = reverse("forum:category", args=[category.slug])

    def add_voices(numbers: range) -> None:
        for i in numbers:
            author = factories.make_user(display_name=f"Voice {i}", credentials="LMHC")
            factories.enrol(author, cohort)
            topic = make_topic(category, author, title=f"Question {i}")
            replier = factories.make_user(display_name=f"Reply {i}", credentials="PhD")
            add_posts(topic, replier, 1)

    def cold_queries(last: int) -> int:
        c.get(url)  # the member's forum profile exists from the first visit on
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200
        page = response.content.decode()
        assert f"Voice {last}, LMHC" in page and f"Reply {last}, PhD" in page
        return len(ctx.captured_queries)

    add_voices(range(3))
    few = cold_queries(2)
    add_voices(range(3, 12))
    assert cold_queries(11) == few
