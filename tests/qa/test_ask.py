"""Asking a question: who may ask, the form, the identifier check, consent and rate limit."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from qa.models import Question
from tests.qa.conftest import make_lesson

pytestmark = pytest.mark.django_db

ASK = reverse("qa:ask")


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()


def post(c, **data):
    payload = {"title": "Silence in session", "text": "What do I do with long silences?"}
    payload.update(data)
    return c.post(ASK, payload)


def test_visitor_is_sent_to_sign_in(client):
    response = client.get(ASK)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_signed_in_non_member_gets_a_friendly_page_and_cannot_post(client_for, outsider):
    c = client_for(outsider)

    page = c.get(ASK)
    assert page.status_code == 200
    assert "Q&amp;A is for enrolled learners" in page.content.decode()
    post(c)
    assert Question.objects.count() == 0


def test_refunded_learner_cannot_ask(client_for, learner):
    learner.enrollments.update(status="refunded")

    post(client_for(learner))

    assert Question.objects.count() == 0


def test_learner_asks_and_lands_on_their_question(client_for, learner):
    c = client_for(learner)
    page = c.get(ASK)
    assert "Protect your clients" in page.content.decode()
    assert "no-store" in page["Cache-Control"]

    response = post(c)

    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("qa:question", kwargs={"pk": question.pk})
    assert (question.asker, question.status) == (learner, Question.Status.WAITING)
    assert question.consent_to_publish is False
    assert "Silence" not in response["Location"]


def test_consent_is_off_by_default_and_can_be_given(client_for, learner):
    c = client_for(learner)
    page = c.get(ASK).content.decode()
    assert 'name="consent_to_publish"' in page
    assert "checked" not in page.split('name="consent_to_publish"')[1].split(">")[0]

    post(c, consent_to_publish="on")

    assert Question.objects.get().consent_to_publish is True


def test_lesson_link_prefills_lesson_and_course(client_for, learner, course):
    lesson = make_lesson(course)

    page = client_for(learner).get(f"{ASK}?lesson={lesson.pk}")

    form = page.context["form"]
    assert form.initial == {"lesson": lesson.pk, "course": course.pk}


def test_course_link_prefills_the_trimester(client_for, learner, course):
    page = client_for(learner).get(f"{ASK}?course={course.pk}")

    assert page.context["form"].initial == {"course": course.pk}


@pytest.mark.parametrize("query", ["lesson=abc", "lesson=-1", "course=99999", "lesson=" + "9" * 40])
def test_bad_prefill_ids_are_ignored(client_for, learner, query):
    page = client_for(learner).get(f"{ASK}?{query}")

    assert page.status_code == 200
    assert page.context["form"].initial == {}


def test_lessons_of_another_course_are_not_offered_or_accepted(client_for, learner, other_course):
    foreign = make_lesson(other_course)
    c = client_for(learner)

    assert c.get(f"{ASK}?lesson={foreign.pk}").context["form"].initial == {}
    response = post(c, lesson=foreign.pk)
    assert response.status_code == 200
    assert Question.objects.count() == 0


def test_choosing_a_lesson_sets_its_course(client_for, learner, course):
    lesson = make_lesson(course)

    post(client_for(learner), lesson=lesson.pk)

    question = Question.objects.get()
    assert (question.lesson, question.course) == (lesson, course)


def test_likely_identifiers_are_flagged_once_and_nothing_is_lost(client_for, learner):
    c = client_for(learner)
    text = "Mr. Smith called me at 555-123-4567 about his 92 year old mother."

    first = post(c, text=text, consent_to_publish="on")

    assert first.status_code == 200
    page = first.content.decode()
    assert "This may identify a client" in page
    assert "a name with a title" in page and "a phone number" in page
    assert "Send anyway" in page
    assert "Mr. Smith called me" in page  # the text is still in the form
    assert Question.objects.count() == 0

    second = post(c, text=text, consent_to_publish="on", send_anyway="on")

    assert second.status_code == 302
    assert Question.objects.get().text == text


def test_the_identifier_summary_does_not_repeat_the_identifier(client_for, learner):
    page = post(client_for(learner), text="Call 555-123-4567").content.decode()

    summary = page.split('class="form-errors"')[1].split("</div>")[0]
    assert "555" not in summary


def test_empty_form_shows_errors_next_to_fields(client_for, learner):
    response = client_for(learner).post(ASK, {})

    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "text"}


def test_asking_is_rate_limited_with_a_clear_message(client_for, learner):
    c = client_for(learner)
    for _ in range(20):
        assert post(c).status_code == 302

    response = post(c, title="One more")

    assert response.status_code == 200
    assert "many questions in the last hour" in response.content.decode()
    assert "One more" in response.content.decode()
    assert Question.objects.count() == 20


def test_staff_may_ask_too(client_for, staff):
    assert post(client_for(staff)).status_code == 302
