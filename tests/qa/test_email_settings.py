"""Answer notices respect the email settings: turned off, the answer waits on the questions
page without an email; on, the email carries its one-click off link."""

import pytest

from accounts.models import EmailSettings
from qa import services
from tests.qa.conftest import answer_question, make_question

pytestmark = pytest.mark.django_db


def send(question, instructor, capture):
    answer_question(question, sent=False)
    with capture(execute=True):
        assert services.send_answer(question_id=question.pk, by=instructor)


def test_no_answer_notice_when_turned_off(
    learner, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    EmailSettings.turn_off(user_id=learner.pk, kind="answer_notices")
    question = make_question(learner)

    send(question, instructor, django_capture_on_commit_callbacks)

    assert mailoutbox == []
    question.refresh_from_db()
    assert question.status == "answered"


def test_answer_notice_carries_the_one_click_off_link(
    learner, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    send(make_question(learner), instructor, django_capture_on_commit_callbacks)

    (message,) = mailoutbox
    assert message.to == [learner.email]
    off = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert off in message.body
    assert "Your question has been answered" in message.body
