"""The instructor's daily digest: counts and a link, never text; once a day."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.celery import app
from qa.tasks import send_question_digest
from tests.qa.conftest import CANARY, answer_question, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_digest_counts_new_and_waiting_questions(
    learner, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.INSTRUCTOR_EMAIL = "teacher@example.com"
    now = timezone.now()
    make_question(learner, title=CANARY, created_at=now - dt.timedelta(hours=2))
    make_question(learner, created_at=now - dt.timedelta(days=10))
    answer_question(make_question(learner, created_at=now - dt.timedelta(hours=5)))

    with django_capture_on_commit_callbacks(execute=True):
        assert send_question_digest() is True

    (message,) = mailoutbox
    assert message.to == ["teacher@example.com"]
    assert message.subject == "Q&A: 2 new questions, 2 waiting"
    assert "1 waited longer than 7 days" in message.body
    assert "/admin/qa/question/?status__exact=waiting" in message.body
    assert CANARY not in message.body + message.subject + message.alternatives[0][0]


def test_digest_is_sent_once_a_day(learner, mailoutbox, django_capture_on_commit_callbacks):
    make_question(learner)

    with django_capture_on_commit_callbacks(execute=True):
        send_question_digest()
        send_question_digest()

    assert len(mailoutbox) == 1


def test_no_digest_when_there_is_nothing_to_say(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert send_question_digest() is False

    assert mailoutbox == []


def test_digest_is_in_the_beat_schedule():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert "qa.tasks.send_question_digest" in tasks
