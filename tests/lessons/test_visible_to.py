"""`Lesson.objects.visible_to(user)` and `in_feed_of(user)`: one condition per test."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from courses.models import Enrollment
from lessons.models import Lesson
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(course):
    return factories.make_lesson(course, title="Change mechanisms")


@pytest.fixture
def preview(course):
    return factories.make_lesson(course, title="Psychopathology", free_preview=True)


@pytest.fixture
def other_lesson(other_course):
    return factories.make_lesson(other_course, title="Formulation")


def visible(user) -> set[str]:
    return set(Lesson.objects.visible_to(user).values_list("title", flat=True))


def in_feed(user) -> set[str]:
    return set(Lesson.objects.in_feed_of(user).values_list("title", flat=True))


def test_visitor_sees_only_free_previews(lesson, preview, other_lesson):
    assert visible(AnonymousUser()) == {"Psychopathology"}


def test_outsider_sees_only_free_previews(outsider, lesson, preview, other_lesson):
    assert visible(outsider) == {"Psychopathology"}


def test_learner_sees_every_lesson_of_their_course(learner, lesson, preview, other_lesson):
    assert visible(learner) == {"Change mechanisms", "Psychopathology"}


def test_learner_does_not_see_another_courses_lessons(other_learner, lesson, other_lesson):
    assert visible(other_learner) == {"Formulation"}


def test_comped_learner_sees_the_course(cohort, lesson):
    user = factories.make_user()
    factories.enrol(user, cohort, status=Enrollment.Status.COMPED)
    assert visible(user) == {"Change mechanisms"}


def test_refunded_learner_loses_the_course(cohort, lesson, preview):
    user = factories.make_user()
    factories.enrol(user, cohort, status=Enrollment.Status.REFUNDED)
    assert visible(user) == {"Psychopathology"}


def test_cancelled_learner_loses_the_course(cohort, lesson):
    user = factories.make_user()
    factories.enrol(user, cohort, status=Enrollment.Status.CANCELLED)
    assert visible(user) == set()


def test_learner_keeps_access_after_the_cohort_ended(course, lesson):
    today = timezone.localdate()
    ended = factories.make_cohort(
        course,
        starts_on=today - dt.timedelta(days=200),
        ends_on=today - dt.timedelta(days=100),
        status="closed",
    )
    user = factories.make_user()
    factories.enrol(user, ended)
    assert visible(user) == {"Change mechanisms"}


def test_access_through_any_cohort_of_the_course(course, cohort, lesson):
    user = factories.make_user()
    factories.enrol(user, cohort, status=Enrollment.Status.REFUNDED)
    factories.enrol(user, factories.make_cohort(course))
    assert visible(user) == {"Change mechanisms"}


def test_two_cohorts_of_one_course_list_each_lesson_once(course, cohort, lesson):
    user = factories.make_user()
    factories.enrol(user, cohort)
    factories.enrol(user, factories.make_cohort(course))
    assert Lesson.objects.visible_to(user).count() == 1


def test_staff_see_every_lesson(staff, lesson, other_lesson):
    assert visible(staff) == {"Change mechanisms", "Formulation"}


def test_instructor_sees_every_lesson(instructor, lesson, other_lesson):
    assert visible(instructor) == {"Change mechanisms", "Formulation"}


def test_feed_of_learner_lists_their_courses_lessons(learner, lesson, preview, other_lesson):
    assert in_feed(learner) == {"Change mechanisms", "Psychopathology"}


def test_feed_of_refunded_learner_is_empty_even_with_free_previews(cohort, lesson, preview):
    user = factories.make_user()
    factories.enrol(user, cohort, status=Enrollment.Status.REFUNDED)
    assert in_feed(user) == set()


def test_feed_of_visitor_is_empty(preview):
    assert in_feed(AnonymousUser()) == set()


def test_feed_of_staff_lists_every_lesson(staff, lesson, other_lesson):
    assert in_feed(staff) == {"Change mechanisms", "Formulation"}
