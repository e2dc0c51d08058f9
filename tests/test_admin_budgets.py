"""Query budgets of the admin pages the instructor and staff use every day (issue 23): the
pages bench/run_admin.py times (bench/admin_pages.py), in data built by `seed_load`, use the
same number of queries whether the data is small or four times larger, and stay within a
budget. Timings are the benchmark's business (bench/README.md), not the tests'.
"""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench.admin_pages import admin_pages
from bench.loaddata.names import INSTRUCTOR_EMAIL, STAFF_EMAIL
from courses.models import Cohort, Course
from qa.models import Question
from tests import factories
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

BUDGET = 16
# Subscribers are staff's (the instructor has no permission on the reader list).
STAFF_PAGES = {"subscribers", "subscribers_change"}


def queries_per_page(scale: float, reset: bool = False, more_runs: int = 0) -> dict[str, int]:
    call_command("seed_load", scale=scale, reset=reset, stdout=io.StringIO())
    # At these small scales every trimester has one run; runs are listed in filters and
    # selects, so the larger data set gets more of them (closed, as past runs are).
    for course in Course.objects.all():
        for n in range(more_runs):
            factories.make_cohort(
                course, name=f"Past run {n}", slug=f"past-{n}", status=Cohort.Status.CLOSED
            )
    clients = {}
    for email in (INSTRUCTOR_EMAIL, STAFF_EMAIL):
        clients[email] = Client()
        sign_in(clients[email], User.objects.get(email=email))
    counts = {}
    for name, path in admin_pages():
        client = clients[STAFF_EMAIL if name in STAFF_PAGES else INSTRUCTOR_EMAIL]
        client.get(path)  # the first visit may fill a cache (permissions, content types)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def test_admin_pages_use_constant_queries_within_budget():
    small = queries_per_page(0.004)
    questions = Question.objects.count()
    large = queries_per_page(0.016, reset=True, more_runs=4)
    assert Question.objects.count() >= 4 * questions  # the data really grew
    assert small == large
    assert max(large.values()) <= BUDGET, large
