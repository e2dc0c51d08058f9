"""The instructor's queue and answering in the admin."""

import datetime as dt
from importlib import import_module

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from qa.models import Answer, Question
from tests.qa.conftest import CANARY, answer_question, make_lesson, make_question, make_reply

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:qa_question_changelist")


def change_url(question):
    return reverse("admin:qa_question_change", args=[question.pk])


def answer_form(question, text="", video="", send=False, existing=None):
    data = {
        "answer-TOTAL_FORMS": "1",
        "answer-INITIAL_FORMS": "1" if existing else "0",
        "answer-MIN_NUM_FORMS": "0",
        "answer-MAX_NUM_FORMS": "1",
        "answer-0-text": text,
        "answer-0-video_url": video,
        "answer-0-question": str(question.pk),
        "_send_answer" if send else "_continue": "1",
    }
    if existing:
        data["answer-0-id"] = str(existing.pk)
    return data


def test_queue_lists_waiting_first_oldest_first(client_for, instructor, learner):
    now = timezone.now()
    newer = make_question(learner, title="Newer waiting", created_at=now - dt.timedelta(days=1))
    older = make_question(learner, title="Older waiting", created_at=now - dt.timedelta(days=3))
    done = make_question(learner, title="Answered long ago", created_at=now - dt.timedelta(days=9))
    answer_question(done)

    response = client_for(instructor).get(QUEUE)

    assert list(response.context["cl"].result_list) == [older, newer, done]
    page = response.content.decode()
    assert "3\xa0days" in page


def test_overdue_questions_stand_out(client_for, instructor, learner, settings):
    settings.QA_ANSWER_TARGET_DAYS = 7
    now = timezone.now()
    make_question(learner, title="Overdue one", created_at=now - dt.timedelta(days=8))
    make_question(learner, title="Fresh one", created_at=now - dt.timedelta(days=2))

    page = client_for(instructor).get(QUEUE).content.decode()

    assert page.count("qa-badge-overdue") == 1
    assert client_for(instructor).get(QUEUE + "?overdue=yes").context["cl"].result_count == 1


def test_a_follow_up_restarts_the_wait(client_for, instructor, learner):
    with time_machine.travel(timezone.now() - dt.timedelta(days=10)):
        question = make_question(learner)
        answer_question(question)
    client_for(learner).post(reverse("qa:question", args=[question.pk]), {"text": "One more thing"})

    question.refresh_from_db()
    assert question.is_waiting and not question.is_overdue()


def test_queue_filters_and_search(
    client_for, instructor, learner, course, other_learner, other_course
):
    lesson = make_lesson(course)
    a = make_question(
        learner, title="About silence", course=course, lesson=lesson, consent_to_publish=True
    )
    b = make_question(other_learner, title="About shame", course=other_course)
    answer_question(b)
    c = client_for(instructor)

    def result(query):
        return set(c.get(QUEUE + query).context["cl"].result_list)

    assert result("?status__exact=waiting") == {a}
    assert result("?status__exact=answered") == {b}
    assert result(f"?course__id__exact={other_course.pk}") == {b}
    assert result(f"?lesson__id__exact={lesson.pk}") == {a}
    assert result("?consent_to_publish__exact=1") == {a}
    assert result("?q=shame") == {b}
    assert result("?q=other@example.com") == {b}


@pytest.mark.parametrize("count", [2, 30])
def test_queue_queries_do_not_grow(
    client_for, instructor, learner, course, count, django_assert_max_num_queries
):
    lesson = make_lesson(course)
    for n in range(count):
        q = make_question(learner, course=course, lesson=lesson)
        if n % 2:
            answer_question(q)
    c = client_for(instructor)
    with django_assert_max_num_queries(14):
        assert c.get(QUEUE).status_code == 200


def test_change_page_queries_do_not_grow_with_replies(
    client_for, instructor, learner, question, django_assert_max_num_queries
):
    answer_question(question)
    for _ in range(10):
        make_reply(question, learner)
    c = client_for(instructor)
    with django_assert_max_num_queries(20):
        assert c.get(change_url(question)).status_code == 200


def test_staff_without_the_permission_see_no_question_text_in_the_admin(
    client_for, staff, question
):
    c = client_for(staff)

    for url in [
        QUEUE,
        change_url(question),
        reverse("admin:index"),
        reverse("admin:app_list", args=["qa"]),
    ]:
        response = c.get(url)
        assert CANARY not in response.content.decode(), url
    assert c.get(QUEUE).status_code == 403
    assert "waiting" not in c.get(reverse("admin:index")).content.decode().lower()


def test_staff_do_not_get_questions_through_autocomplete(client_for, staff, question):
    c = client_for(staff)
    for model_name in ["answer", "reply"]:
        response = c.get(
            reverse("admin:autocomplete"),
            {"app_label": "qa", "model_name": model_name, "field_name": "question", "term": "Zeb"},
        )
        assert response.status_code in (403, 404)
        assert CANARY not in response.content.decode()


def test_admin_index_shows_the_waiting_count_to_the_instructor(
    client_for, instructor, learner, settings
):
    settings.QA_ANSWER_TARGET_DAYS = 7
    make_question(learner)
    make_question(learner, created_at=timezone.now() - dt.timedelta(days=9))
    answer_question(make_question(learner))

    page = client_for(instructor).get(reverse("admin:index")).content.decode()

    assert "<strong>2</strong> questions waiting" in page
    assert "1 overdue" in page


def test_saving_a_draft_sends_nothing(
    client_for, instructor, question, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(instructor).post(
            change_url(question), answer_form(question, "<p>Draft</p>")
        )

    assert response.status_code == 302
    answer = Answer.objects.get()
    assert (answer.text, answer.sent_at, answer.author) == ("<p>Draft</p>", None, instructor)
    question.refresh_from_db()
    assert question.is_waiting
    assert mailoutbox == []


def test_sending_notifies_the_learner_exactly_once(
    client_for, instructor, learner, question, mailoutbox, django_capture_on_commit_callbacks
):
    c = client_for(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        first = c.post(change_url(question), answer_form(question, "<p>Answer</p>", send=True))
    answer = Answer.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        second = c.post(
            change_url(question),
            answer_form(question, "<p>Answer, edited</p>", send=True, existing=answer),
        )
        c.post(change_url(question), answer_form(question, "<p>Again</p>", existing=answer))

    assert first.status_code == second.status_code == 302
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED
    (message,) = mailoutbox
    assert message.to == [learner.email]
    assert message.subject.startswith("You have an answer")
    assert f"/questions/{question.pk}/" in message.body
    assert CANARY not in message.subject + message.body + message.alternatives[0][0]
    assert "Answer" not in message.body.split("questions/")[0].replace("answered", "")


def test_answer_text_is_sanitized(client_for, instructor, question):
    client_for(instructor).post(
        change_url(question), answer_form(question, '<p onclick="x()">Hi<script>bad()</script></p>')
    )

    assert Answer.objects.get().text == "<p>Hi</p>"


def test_sending_an_empty_answer_is_refused(client_for, instructor, question, mailoutbox):
    response = client_for(instructor).post(
        change_url(question), answer_form(question, "", send=True), follow=True
    )

    assert "Write the answer or add a video link" in response.content.decode()
    assert mailoutbox == []
    question.refresh_from_db()
    assert question.is_waiting


def test_video_only_answer_can_be_sent(
    client_for, instructor, question, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(instructor).post(
            change_url(question),
            answer_form(question, "", video="https://vimeo.com/76979871", send=True),
        )

    assert Answer.objects.get().sent_at is not None
    assert len(mailoutbox) == 1


def test_non_video_links_are_refused(client_for, instructor, question):
    response = client_for(instructor).post(
        change_url(question), answer_form(question, "<p>x</p>", video="https://evil.example/v")
    )

    assert response.status_code == 200
    assert Answer.objects.count() == 0


def test_questions_cannot_be_added_or_edited_in_the_admin(client_for, instructor, question):
    c = client_for(instructor)
    original = (question.title, question.text)

    assert c.get(reverse("admin:qa_question_add")).status_code == 403
    c.post(change_url(question), {**answer_form(question), "title": "Changed", "text": "Changed"})

    question.refresh_from_db()
    assert (question.title, question.text) == original


@pytest.mark.postgres
def test_question_search_follows_a_question_whose_text_changes(client_for, instructor, learner):
    """The search reads the stored vector (qa 0006): saving the title or text rewrites it, and
    the migration's fill for existing rows writes the same vector as save()."""
    question = make_question(learner, title="About silence", text="A long pause in the room.")
    c = client_for(instructor)

    def result(query):
        return set(c.get(QUEUE + query).context["cl"].result_list)

    assert result("?q=pause") == {question}
    question.text = "The client talked about shame."
    question.save(update_fields=["text"])
    assert result("?q=pause") == set()
    assert result("?q=shame") == {question}

    saved = Question.objects.values_list("search_vector", flat=True).get(pk=question.pk)
    fill = import_module("qa.migrations.0006_question_search_vector").FILL_SQL
    with connection.cursor() as cursor:
        cursor.execute("UPDATE qa_question SET search_vector = NULL")
        cursor.execute(fill)
    assert Question.objects.values_list("search_vector", flat=True).get(pk=question.pk) == saved
    assert "shame" in saved
