"""Query budgets of the benchmarked pages (issue 9): the pages bench/run.py loads, found the
way the benchmark finds them (bench/pages.py) in data built by `seed_load`, use at most 12
queries each, and the same number whether the data is small or four times larger.

Each page is loaded once before counting: a learner's first visit may create a row (forum
profile, read state, lesson progress); that visit is held to the budget too.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench.loaddata.names import BENCH_LEARNER_EMAIL, LONG_TOPIC_TITLE
from bench.pages import bench_learner, benchmark_pages
from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold, WaitlistEntry
from forum.models import Post, Topic
from lessons.models import Lesson, Progress
from newsletter.models import Issue, Subscriber
from qa.models import LibraryEntry

pytestmark = pytest.mark.django_db

BUDGET = 12
PAGES = [
    "home",
    "dashboard",
    "course",
    "lesson",
    "lesson_note",
    "library",
    "library_entry",
    "forum_topics",
    "topic_first",
    "topic_last",
    "forum_search",
    "library_search",
    "site_search",
    "site_search_forum",
    "email_settings",
]


def seed(scale: float, reset: bool = False) -> Client:
    call_command("seed_load", scale=scale, reset=reset, stdout=io.StringIO())
    client = Client()
    client.force_login(bench_learner())
    return client


def queries_per_page(client: Client) -> tuple[dict[str, int], dict[str, int]]:
    """(first visit, second visit) query counts of every benchmarked page, each with nothing
    cached: cached fragments spare queries (a topic page whose articles are cached does not
    read its posts whole), and what is cached depends on the pages visited before."""
    first, again = {}, {}
    for name, path in benchmark_pages(bench_learner()):
        for counts in (first, again):
            cache.clear()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            assert response.status_code == 200, (name, path, response.status_code)
            counts[name] = len(ctx.captured_queries)
    return first, again


def test_the_benchmark_loads_every_page_the_issue_lists():
    seed(0.004)
    assert [name for name, _ in benchmark_pages(bench_learner())] == PAGES


def test_benchmarked_pages_stay_within_12_queries_and_do_not_grow_with_the_data():
    client = seed(0.004)
    small_first, small = queries_per_page(client)
    posts_small = Post.objects.count()

    client = seed(0.016, reset=True)
    large_first, large = queries_per_page(client)

    assert Post.objects.count() >= 4 * posts_small  # the data really grew
    assert small == large
    assert max(small_first.values()) <= BUDGET, small_first
    assert max(large_first.values()) <= BUDGET, large_first
    assert max(large.values()) <= BUDGET, large


def test_seed_load_builds_the_issue_shape_in_proportion():
    seed(0.01)
    learner = User.objects.get(email=BENCH_LEARNER_EMAIL)
    assert User.objects.filter(is_staff=False).count() == 50
    assert Lesson.objects.count() == 60
    assert Progress.objects.count() == 1000
    assert LibraryEntry.objects.published().count() == 50
    assert Topic.objects.count() == 20
    assert Post.objects.count() == 2000
    assert Topic.objects.get(title=LONG_TOPIC_TITLE).posts.count() == 50
    assert learner.enrollments.count() == 3


def test_seed_load_makes_the_enrolment_side_and_newsletter_at_believable_ratios():
    seed(0.02)
    assert Enrollment.objects.count() == 102
    # A converted checkout behind every enrolment, an abandoned one for one learner in ten.
    assert SeatHold.objects.filter(state=SeatHold.State.CONVERTED).count() == 102
    assert SeatHold.objects.exclude(state=SeatHold.State.CONVERTED).count() == 10
    assert WaitlistEntry.objects.count() == 30
    assert WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).exists()
    assert WaitlistEntry.objects.filter(cohort=None).exists()  # waiting for the next run
    # Every entry that enrolled, lapsed or holds an offer has one; live ones lapse soon.
    offered = WaitlistEntry.objects.filter(status__in=["enrolled", "lapsed", "offered"])
    assert Offer.objects.filter(waitlist_entry__in=offered).count() == offered.count() > 0
    assert Offer.objects.holding().exists()
    assert FinancialAidRequest.objects.count() == 5
    assert Offer.objects.filter(aid_request__isnull=False).exists()
    assert Subscriber.objects.count() == 2000
    assert Issue.objects.filter(status=Issue.Status.SENDING).count() == 1


def test_seed_load_refuses_to_add_to_a_database_with_data():
    from django.core.management.base import CommandError

    seed(0.002)
    with pytest.raises(CommandError, match="has data already"):
        call_command("seed_load", scale=0.002, stdout=io.StringIO())


def test_seed_load_reset_refuses_a_database_with_real_accounts():
    from django.core.management.base import CommandError

    from tests import factories

    factories.make_user("someone@example.com")
    with pytest.raises(CommandError, match="refused"):
        call_command("seed_load", scale=0.002, reset=True, stdout=io.StringIO())
    assert User.objects.filter(email="someone@example.com").exists()
