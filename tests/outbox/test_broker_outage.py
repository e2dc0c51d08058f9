"""With the broker down, saved work is answered as usual and its emails wait in the outbox;
once the broker is back, the re-driver sends them (a real Redis, stopped and started by the
test, a real worker process and a real SMTP server)."""

import logging
import time

import pytest
from django.urls import reverse

from accounts.models import User
from forum.models import Category, Post
from newsletter.models import Subscriber
from outbox import tasks
from outbox.models import Message
from qa.models import Answer
from tests import factories
from tests.forum.conftest import make_topic
from tests.outbox.conftest import wait_for
from tests.qa.conftest import make_question

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

SECRET = "What my client told me about her brother"


def answer_form(question) -> dict[str, str]:
    return {
        "answer-TOTAL_FORMS": "1",
        "answer-INITIAL_FORMS": "0",
        "answer-MIN_NUM_FORMS": "0",
        "answer-MAX_NUM_FORMS": "1",
        "answer-0-text": "<p>A considered answer.</p>",
        "answer-0-video_url": "",
        "answer-0-question": str(question.pk),
        "_send_answer": "1",
    }


def test_saved_work_is_answered_normally_with_the_broker_down_and_its_emails_arrive_after(
    workers, broker, smtp_server, client, client_for, learner, cohort, instructor, caplog
):
    category = Category.objects.create(name="Practice", slug="practice", order=1)
    topic = make_topic(category, learner)
    replier = factories.make_user("replier@example.com", display_name="Ray Replier")
    factories.enrol(replier, cohort)
    question = make_question(learner, title=SECRET, text=SECRET)

    broker.stop()
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="outbox"):
        reply = client_for(replier).post(
            reverse("forum:reply", args=[topic.pk]), {"body": SECRET, "format": "plain"}
        )
        answer = client_for(instructor).post(
            reverse("admin:qa_question_change", args=[question.pk]), answer_form(question)
        )
        signup = client.post(
            reverse("account_signup"),
            {
                "email": "new.person@example.com",
                "password1": "a long calm passphrase",
                "password2": "a long calm passphrase",
                "display_name": "New Person",
                "time_zone": "UTC",
            },
        )
        newsletter = client.post(reverse("newsletter:signup"), {"email": "reader@example.com"})
    took = time.monotonic() - started

    # Every change was saved and answered as usual, none with an error, and quickly.
    assert [r.status_code for r in (reply, answer, signup, newsletter)] == [302] * 4
    assert took < 15
    assert Post.objects.filter(topic=topic, author=replier).count() == 1
    assert Answer.objects.get(question=question).sent_at is not None
    assert User.objects.filter(email="new.person@example.com").exists()
    assert Subscriber.objects.filter(email="reader@example.com").exists()
    waiting = Message.objects.filter(status=Message.Status.PENDING)
    assert {m.name for m in waiting} >= {
        "forum.tasks.notify_subscribers",
        "qa_answered",
        "account/email/email_confirmation_signup",
        "newsletter_confirm",
    }
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "was not handed to a worker" in logged
    assert "example.com" not in logged and SECRET not in logged

    broker.start()
    workers.start()
    tasks.deliver_due.delay()  # what beat sends every minute

    expected = [
        "learner@example.com",  # the reply in the topic they follow
        "learner@example.com",  # the answer to their question
        "new.person@example.com",  # confirm your address
        "reader@example.com",  # confirm your subscription
    ]
    wait_for(lambda: smtp_server.recipients() == expected, 60, "the emails after the outage")
    assert not Message.objects.filter(status=Message.Status.PENDING).exists()
    for _, raw in smtp_server.messages:
        assert SECRET.encode() not in raw
