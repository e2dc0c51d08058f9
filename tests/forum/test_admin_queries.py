"""The moderation pages of the admin stay at a constant number of queries as the forum grows:
the report queue, topics, posts and members' forum settings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services
from forum.models import Report
from tests import factories
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:forum_report_changelist",
    "admin:forum_topic_changelist",
    "admin:forum_post_changelist",
    "admin:forumprofile_changelist",
    "admin:forum_category_changelist",
]


def grow(category, cohort, n: int) -> None:
    """n more members, each with a topic, a reply, a report and a circle membership."""
    for _ in range(n):
        author = factories.make_user()
        reporter = factories.make_user()
        for user in (author, reporter):
            factories.enrol(user, cohort)
        topic = make_topic(category, author, title="Grown topic")
        reply = services.create_reply(topic=topic, author=reporter, body="A reply", fmt="plain")
        services.report_post(post=reply, reporter=author, reason="other", details="")


def count(c, name: str) -> int:
    url = reverse(name.replace("admin:forumprofile", "admin:forum_forumprofile"))
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_moderation_pages_use_the_same_queries_for_2_and_20_reports(
    client_for, staff, category, cohort
):
    c = client_for(staff)
    grow(category, cohort, 2)
    c.get(reverse("admin:index"))
    small = {name: count(c, name) for name in PAGES}

    grow(category, cohort, 18)
    large = {name: count(c, name) for name in PAGES}

    assert Report.objects.count() == 20
    assert small == large
