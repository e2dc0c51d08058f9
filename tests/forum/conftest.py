"""Forum fixtures: an open category, a private circle, topics, and the refunded persona."""

import pytest
from django.contrib.postgres.search import SearchVector
from django.db import connection

from courses.models import Enrollment
from forum import rendering, services
from forum.models import Category, CircleMembership, Post, Topic
from tests import factories


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The rate limiter counts in the cache; each test starts with none used."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def category(db):
    return Category.objects.create(name="Practice questions", slug="practice", order=1)


@pytest.fixture
def circle(db):
    return Category.objects.create(name="Peer circle A", slug="circle-a", order=2, is_private=True)


@pytest.fixture
def circle_member(cohort, circle):
    user = factories.make_user("circle@example.com", display_name="Cira Circle")
    factories.enrol(user, cohort)
    CircleMembership.objects.create(category=circle, user=user)
    return user


@pytest.fixture
def refunded(cohort):
    user = factories.make_user("refunded@example.com", display_name="Rita Refunded")
    factories.enrol(user, cohort, status=Enrollment.Status.REFUNDED)
    return user


@pytest.fixture
def second_learner(cohort):
    user = factories.make_user("second@example.com", display_name="Sam Second", credentials="LPC")
    factories.enrol(user, cohort)
    return user


def make_topic(category, author, title="A question about avoidance", body="Opening post text."):
    return services.create_topic(
        category=category, author=author, title=title, body=body, fmt=Post.Format.MARKDOWN
    )


def add_posts(topic: Topic, author, n: int, body: str = "Reply number {i}") -> None:
    """Many replies at once (no notifications), then the topic's counters."""
    services.get_profile(author)
    Post.objects.bulk_create(
        [
            Post(
                topic=topic,
                author=author,
                body=body.format(i=i),
                html=rendering.render_body(body.format(i=i), "markdown"),
            )
            for i in range(n)
        ]
    )
    services.refresh_topic_stats(topic)
    if connection.vendor == "postgresql":  # what services.index_post_for_search stores
        topic.posts.filter(search_vector=None).update(
            search_vector=SearchVector("body", weight="B", config="english")
        )


@pytest.fixture
def topic(category, learner):
    return make_topic(category, learner)


@pytest.fixture
def circle_topic(circle, circle_member):
    return make_topic(circle, circle_member, title="Circle only: a hard case", body="Circle text")
