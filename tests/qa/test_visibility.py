"""`Question.objects.visible_to(user)`: the one way in to a question. One condition per test."""

import pytest
from django.contrib.auth.models import AnonymousUser, Permission

from accounts.models import User
from qa.models import Question
from tests import factories
from tests.qa.conftest import make_question

pytestmark = pytest.mark.django_db


def visible(user):
    return set(Question.objects.visible_to(user))


def test_anonymous_sees_no_question(question):
    assert visible(AnonymousUser()) == set()


def test_asker_sees_their_own_question(question, learner):
    assert visible(learner) == {question}


def test_asker_does_not_see_another_learners_question(question, learner, other_learner):
    theirs = make_question(other_learner)

    assert visible(learner) == {question}
    assert visible(other_learner) == {theirs}


def test_learner_in_the_same_cohort_does_not_see_the_question(question, cohort):
    classmate = factories.make_user()
    factories.enrol(classmate, cohort)

    assert visible(classmate) == set()


def test_outsider_sees_no_question(question, outsider):
    assert visible(outsider) == set()


def test_instructor_sees_every_question(question, other_learner, instructor):
    theirs = make_question(other_learner)

    assert visible(instructor) == {question, theirs}


def test_staff_without_the_qa_permission_sees_no_question(question, staff):
    assert staff.is_staff
    assert visible(staff) == set()


def test_staff_given_the_qa_permission_sees_every_question(question, permitted_staff):
    assert visible(permitted_staff) == {question}


def test_the_permission_alone_without_staff_status_is_enough(question, outsider):
    outsider.user_permissions.add(Permission.objects.get(codename="view_question"))

    assert visible(User.objects.get(pk=outsider.pk)) == {question}


def test_superuser_sees_every_question(question):
    admin = factories.make_user(is_superuser=True, is_staff=True)

    assert visible(admin) == {question}


def test_deactivated_instructor_sees_no_question(question, instructor):
    instructor.is_active = False
    instructor.save()

    assert visible(instructor) == set()


def test_deactivated_asker_sees_no_question(question, learner):
    learner.is_active = False
    learner.save()

    assert visible(learner) == set()


def test_refunded_asker_still_sees_their_own_question(question, learner):
    learner.enrollments.update(status="refunded")

    assert visible(learner) == {question}
