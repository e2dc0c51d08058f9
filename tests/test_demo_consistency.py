"""The demo's words and data add up (issue 24, point 8): runs, Friday sessions, seats and
the waitlist agree with each other, and progress reads as lessons done."""

import io

import pytest
from django.urls import reverse

from accounts import demo as accounts_demo
from courses import demo as courses_demo
from courses.models import Cohort, Course
from lessons import demo as lessons_demo
from zoomgroups import demo as zoomgroups_demo
from zoomgroups.models import GroupSession, program_tz

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    out = io.StringIO()
    for module in (accounts_demo, courses_demo, lessons_demo, zoomgroups_demo):
        module.seed(out)


def test_friday_sessions_fall_within_their_runs(demo):
    for cohort in Cohort.objects.all():
        days = [
            session.starts_at.astimezone(program_tz()).date()
            for session in GroupSession.objects.filter(cohort=cohort)
        ]
        assert len(days) == 10
        assert all(cohort.starts_on <= day <= cohort.ends_on for day in days), cohort
        assert all(day.weekday() == 4 for day in days)


def test_the_learners_run_is_under_way_with_past_and_coming_sessions(demo):
    from django.utils import timezone

    learner = accounts_demo.demo_user("learner@demo.test")
    run = Cohort.objects.get(enrollments__user=learner)
    now = timezone.now()
    sessions = list(GroupSession.objects.filter(cohort=run))
    assert run.starts_on <= timezone.localdate() <= run.ends_on
    assert sum(session.ends_at < now for session in sessions) >= 3
    assert any(session.ends_at >= now for session in sessions)
    assert run.is_open_for_enrolment()


def cta(page: str) -> str:
    start = page.index('class="enrol-cta')
    return page[start : page.index("</section>", start)]


def test_a_run_with_seats_does_not_offer_the_waitlist_and_a_full_one_does(client, demo):
    open_run = Course.objects.get(number=2)
    full_run = Course.objects.get(number=3)

    with_seats = cta(client.get(open_run.get_absolute_url()).content.decode())
    assert "seats left" in with_seats
    assert "waitlist" not in with_seats.lower()

    full = cta(client.get(full_run.get_absolute_url()).content.decode())
    assert "is full" in full and "Join the waitlist" in full
    assert "seat left" not in full and "seats left" not in full


def test_progress_reads_as_lessons_done(client_for, demo):
    learner = accounts_demo.demo_user("learner@demo.test")
    page = client_for(learner).get(reverse("courses:dashboard")).content.decode()
    lessons = len(lessons_demo.LESSONS[1])
    assert f"of {lessons} lessons done" in page
    assert "% of the materials" not in page
