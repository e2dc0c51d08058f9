"""The dashboard's next-session card, and the demo content."""

import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from tests.zoomgroups.conftest import FRIDAY_NOON, assert_no_secret, make_session
from zoomgroups.models import GroupSession
from zoomgroups.services import next_session_for

pytestmark = pytest.mark.django_db


@time_machine.travel(FRIDAY_NOON - dt.timedelta(days=3), tick=False)
def test_dashboard_shows_the_next_session(client_for, learner, cohort):
    make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(weeks=1), topic="Later one")
    make_session(cohort, topic="Next one")

    html = client_for(learner).get(reverse("courses:dashboard")).content.decode()

    assert "Next Friday group" in html
    assert "Next one" in html
    assert "Later one" not in html
    assert_no_secret(html)


@time_machine.travel(FRIDAY_NOON - dt.timedelta(days=3), tick=False)
def test_dashboard_has_no_card_without_sessions(client_for, learner, other_cohort):
    make_session(other_cohort)

    html = client_for(learner).get(reverse("courses:dashboard")).content.decode()

    assert "Next Friday group" not in html


def test_next_session_includes_one_going_on_now(learner, cohort):
    session = make_session(cohort)

    with time_machine.travel(FRIDAY_NOON + dt.timedelta(minutes=30), tick=False):
        assert next_session_for(learner) == session
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(minutes=76), tick=False):
        assert next_session_for(learner) is None


def test_next_session_for_a_visitor_is_none(session):
    from django.contrib.auth.models import AnonymousUser

    assert next_session_for(AnonymousUser()) is None


@time_machine.travel(dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC), tick=False)  # a Wednesday
def test_demo_seeds_ten_sessions_per_cohort_and_is_idempotent(settings, cohort, other_cohort):
    from accounts import demo as accounts_demo
    from tests import factories
    from zoomgroups import demo

    settings.DEBUG = True
    accounts_demo.seed(io.StringIO())
    learner = accounts_demo.demo_user("learner@demo.test")
    factories.enrol(learner, cohort)
    # The demo learner's run is under way, as courses/demo.py makes it: begun on the Monday
    # before the Friday four weeks ago. Sessions follow the run's dates (issue 24, point 8).
    cohort.starts_on, cohort.ends_on = dt.date(2026, 10, 26), dt.date(2027, 1, 18)
    cohort.save(update_fields=["starts_on", "ends_on"])

    demo.seed(io.StringIO())
    demo.seed(io.StringIO())

    assert GroupSession.objects.filter(cohort=cohort).count() == 10
    assert GroupSession.objects.filter(cohort=other_cohort).count() == 10
    past = [s for s in GroupSession.objects.filter(cohort=cohort) if s.is_past()]
    assert len(past) == 4
    assert all(s.recording_url for s in past)
    assert learner.group_attendances.count() == 3
    assert all(s.join_url.startswith("https://zoom.example/j/") for s in GroupSession.objects.all())
    for run in (cohort, other_cohort):
        for session in GroupSession.objects.filter(cohort=run):
            assert run.starts_on <= session.starts_at.date() <= run.ends_on
