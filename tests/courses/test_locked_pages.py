"""The locked page (courses/locks.py): something that exists but is locked to this person says
why and what to do. `lock_for` gets one test per reason; the pages' own tests are with each
area (tests/lessons/test_lesson_page.py, tests/qa/test_library.py, tests/forum/test_access.py).
"""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.locks import CANCELLED, NOT_ENROLLED, REFUNDED, SIGNED_OUT, lock_for
from courses.models import Enrollment
from tests import factories

pytestmark = pytest.mark.django_db

ENDED_AT = dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def lesson(course):
    return factories.make_lesson(course, title="Role of emotion", slug="role-of-emotion")


def lesson_url(lesson) -> str:
    return reverse(
        "lessons:lesson", kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug}
    )


def test_a_visitor_is_asked_to_sign_in():
    assert lock_for(AnonymousUser()).reason == SIGNED_OUT


def test_someone_who_never_enrolled_is_not_enrolled(outsider, course):
    assert lock_for(outsider, course_id=course.pk).reason == NOT_ENROLLED
    assert lock_for(outsider).reason == NOT_ENROLLED


def test_a_refund_names_the_run_and_the_day_access_ended(outsider, cohort):
    factories.enrol(outsider, cohort, status=Enrollment.Status.REFUNDED, ended_at=ENDED_AT)

    lock = lock_for(outsider, course_id=cohort.course_id)

    assert (lock.reason, lock.run_name, lock.ended_on) == (REFUNDED, "Spring 2027", ENDED_AT.date())


def test_a_cancellation_says_cancelled(outsider, cohort):
    factories.enrol(outsider, cohort, status=Enrollment.Status.CANCELLED, ended_at=ENDED_AT)

    assert lock_for(outsider).reason == CANCELLED


def test_the_latest_ended_enrolment_is_the_reason(outsider, course):
    older, newer = factories.make_cohort(course), factories.make_cohort(course)
    factories.enrol(outsider, older, status="refunded", ended_at=ENDED_AT - dt.timedelta(days=90))
    factories.enrol(outsider, newer, status="cancelled", ended_at=ENDED_AT)

    assert lock_for(outsider).reason == CANCELLED


def test_an_ended_enrolment_in_another_course_is_not_this_lessons_reason(
    outsider, cohort, other_cohort
):
    factories.enrol(outsider, other_cohort, status="refunded", ended_at=ENDED_AT)

    assert lock_for(outsider, course_id=cohort.course_id).reason == NOT_ENROLLED
    assert lock_for(outsider).reason == REFUNDED


def test_a_learner_of_another_course_is_shown_how_to_enrol_in_this_one(
    client_for, other_learner, lesson
):
    response = client_for(other_learner).get(lesson_url(lesson))

    assert response.status_code == 403
    page = response.content.decode()
    assert "This lesson opens when you enrol in a run of How Therapy Works" in page
    assert "Your access ended" not in page


def test_a_refunded_learner_reads_the_day_their_access_ended(client_for, outsider, cohort, lesson):
    factories.enrol(outsider, cohort, status="refunded", ended_at=ENDED_AT)

    page = client_for(outsider).get(lesson_url(lesson)).content.decode()

    assert "Your access ended on 3 November 2026, when your enrolment in Spring 2027" in page
    assert "join its waitlist" in page


def test_a_visitor_is_offered_sign_in_back_to_the_lesson(client, lesson):
    page = client.get(lesson_url(lesson)).content.decode()

    assert f'href="{reverse("account_login")}?next={lesson_url(lesson)}"' in page


def test_the_locked_pages_stay_within_12_queries_however_many_runs_ended(
    client_for, outsider, course, lesson
):
    c = client_for(outsider)
    urls = [lesson_url(lesson), reverse("qa:library"), reverse("forum:index")]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 403
            found.append(len(ctx.captured_queries))
        return found

    factories.enrol(outsider, factories.make_cohort(course), status="refunded")
    few = counts()
    for _ in range(5):
        cohort = factories.make_cohort(course)
        factories.enrol(outsider, cohort, status="refunded", ended_at=timezone.now())
    assert counts() == few
    assert max(few) <= 12, few
