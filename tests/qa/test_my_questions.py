"""'My questions' and a question's thread: status, the answer, follow-ups, emails."""

import pytest
from django.urls import reverse

from qa.models import Question
from tests.qa.conftest import CANARY, answer_question, make_lesson, make_question, make_reply

pytestmark = pytest.mark.django_db

MINE = reverse("qa:my_questions")


def thread(question):
    return reverse("qa:question", kwargs={"pk": question.pk})


def test_visitor_is_sent_to_sign_in(client):
    assert client.get(MINE)["Location"].startswith(reverse("account_login"))


def test_non_member_without_questions_sees_the_friendly_page(client_for, outsider):
    page = client_for(outsider).get(MINE)

    assert "Q&amp;A is for enrolled learners" in page.content.decode()


def test_learner_without_questions_sees_an_empty_state(client_for, learner):
    page = client_for(learner).get(MINE).content.decode()

    assert "No questions yet" in page
    assert reverse("qa:ask") in page


def test_learner_sees_status_of_each_of_their_questions_only(client_for, learner, other_learner):
    waiting = make_question(learner, title="Still waiting one")
    answered = make_question(learner, title="Answered one")
    answer_question(answered)
    make_question(other_learner, title=f"Not mine {CANARY}")

    response = client_for(learner).get(MINE)

    page = response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert waiting.title in page and answered.title in page
    assert "Waiting" in page and "Answered" in page
    assert CANARY not in page


def test_my_questions_is_paginated(client_for, learner):
    for n in range(12):
        make_question(learner, title=f"Q number {n:02d}")
    c = client_for(learner)

    first = c.get(MINE).content.decode()
    second = c.get(MINE + "?page=2").content.decode()
    silly = c.get(MINE + "?page=abc")

    assert "Page 1 of 2" in first and "Q number 11" in first and "Q number 00" not in first
    assert "Q number 00" in second
    assert silly.status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_my_questions_queries_do_not_grow(
    client_for, learner, course, count, django_assert_max_num_queries
):
    for _ in range(count):
        q = make_question(learner, course=course)
        answer_question(q, video_url="https://vimeo.com/76979871")
        make_reply(q, learner)
    c = client_for(learner)
    with django_assert_max_num_queries(8):
        assert c.get(MINE).status_code == 200


def test_my_questions_reads_what_a_row_shows_not_the_texts(client_for, learner, course):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lesson = make_lesson(course, title="Endings", chapter="<p>" + "A long chapter. " * 500 + "</p>")
    q = make_question(learner, course=course, lesson=lesson, text="My private words.")
    answer_question(q, text="<p>The answer's words.</p>", video_url="https://vimeo.com/1")
    with CaptureQueriesContext(connection) as ctx:
        page = client_for(learner).get(MINE).content.decode()
    assert "Endings" in page and q.title in page and "video answer" in page
    listing = [x["sql"] for x in ctx.captured_queries if "qa_question" in x["sql"]]
    assert listing
    for column in ('"lessons_lesson"."chapter"', '"chapter_text"', '"podcast_transcript"',
                   '"qa_question"."text"', '"qa_answer"."text"'):  # fmt: skip
        assert not any(column in sql for sql in listing), column


def test_draft_answer_is_not_shown_to_the_learner(client_for, learner, question):
    answer_question(question, text="<p>Draft words here</p>", sent=False)

    page = client_for(learner).get(thread(question)).content.decode()

    assert "Draft words here" not in page
    assert "you will get an email" in page


def test_sent_answer_with_video_is_shown_to_the_learner(client_for, learner, question):
    answer_question(
        question,
        text="<p>Sent words <script>alert(1)</script></p>",
        video_url="https://youtu.be/abcdefghijk",
    )

    page = client_for(learner).get(thread(question)).content.decode()

    assert "Sent words" in page
    assert "<script>alert(1)" not in page
    assert "https://www.youtube-nocookie.com/embed/abcdefghijk" in page


def test_question_text_is_escaped_and_links_are_clickable(client_for, learner):
    question = make_question(learner, text="<b>bold?</b> see https://example.org/paper")

    page = client_for(learner).get(thread(question)).content.decode()

    assert "&lt;b&gt;bold?&lt;/b&gt;" in page
    assert '<a href="https://example.org/paper" rel="nofollow">' in page


def test_learner_follow_up_puts_the_question_back_in_the_queue(
    client_for, learner, question, mailoutbox, django_capture_on_commit_callbacks
):
    answer_question(question)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(learner).post(thread(question), {"text": "And what if she cries?"})

    question.refresh_from_db()
    assert response.status_code == 302
    assert question.status == Question.Status.WAITING
    assert question.replies.get().from_instructor is False
    assert mailoutbox == []


def test_learner_follow_up_gets_the_identifier_check(client_for, learner, question):
    response = client_for(learner).post(thread(question), {"text": "Dr Jones said so"})

    assert "This may identify a client" in response.content.decode()
    assert question.replies.count() == 0


def test_instructor_reply_answers_and_emails_a_link_only(
    client_for, instructor, learner, question, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(instructor).post(thread(question), {"text": f"Reply {CANARY}"})

    question.refresh_from_db()
    assert response.status_code == 302
    assert question.status == Question.Status.ANSWERED
    assert question.replies.get().from_instructor is True
    (message,) = mailoutbox
    assert message.to == [learner.email]
    assert "new reply" in message.subject
    assert f"/questions/{question.pk}/" in message.body
    assert CANARY not in message.body + message.subject + message.alternatives[0][0]


def test_learner_sees_replies_in_order(client_for, learner, instructor, question):
    make_reply(question, learner, "First follow-up")
    make_reply(question, instructor, "Instructor's reply", from_instructor=True)

    page = client_for(learner).get(thread(question)).content.decode()

    assert page.index("First follow-up") < page.index("Instructor&#x27;s reply")


@pytest.mark.parametrize("count", [1, 12])
def test_thread_queries_do_not_grow(
    client_for, learner, instructor, question, count, django_assert_max_num_queries
):
    answer_question(question)
    for n in range(count):
        make_reply(question, learner if n % 2 else instructor, from_instructor=not n % 2)
    c = client_for(learner)
    with django_assert_max_num_queries(8):
        assert c.get(thread(question)).status_code == 200
