"""Mail server failures: a temporary one is retried with a doubling wait (at most an hour)
for 72 hours, a definite no ends it at once; what is kept says neither whom nor what.
Through a real SMTP server on loopback, with frozen time."""

import datetime as dt
import logging

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from outbox.models import Message
from outbox.services import deliver_due, purge, queue_email
from tests.zoomgroups.conftest import FRIDAY_NOON, make_session
from zoomgroups import services as zoomgroups

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
DIGEST = {"new_count": 2, "waiting_count": 3, "overdue_count": 1, "target_days": 7}


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queue(django_capture_on_commit_callbacks):
    """Record a message in a transaction and let it be sent (inline) once that commits."""

    def queue_one(name: str = "qa_digest", to: str = "instructor@example.com", **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            message = queue_email(name, [to], kwargs.pop("context", DIGEST), **kwargs)
        message.refresh_from_db()
        return message

    return queue_one


def retry_when_due(clock, message: Message) -> Message:
    clock.move_to(message.next_attempt_at)
    deliver_due()
    message.refresh_from_db()
    return message


def test_a_temporary_failure_is_retried_with_a_wait_that_doubles_up_to_an_hour(
    smtp_settings, clock, queue
):
    smtp_settings.answer = "451 4.3.0 Mailbox busy"
    message = queue()

    waits = []
    for _ in range(8):
        assert message.status == Message.Status.PENDING
        waits.append((message.next_attempt_at - timezone.now()) / dt.timedelta(minutes=1))
        message = retry_when_due(clock, message)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert message.last_error == "SMTPDataError 451"
    assert smtp_settings.messages == []

    smtp_settings.answer = ""  # the server is back
    message = retry_when_due(clock, message)

    assert (message.status, message.attempts, message.last_error) == ("done", 10, "")
    assert smtp_settings.recipients() == ["instructor@example.com"]


def test_an_email_is_retried_for_72_hours_then_marked_failed_and_left_alone(
    smtp_settings, clock, queue
):
    smtp_settings.answer = "421 4.7.0 Try again later"
    message = queue()
    created = message.created_at

    last_attempt = created
    while message.status == Message.Status.PENDING:
        last_attempt = message.next_attempt_at
        message = retry_when_due(clock, message)

    assert message.status == Message.Status.FAILED
    assert dt.timedelta(hours=72) <= last_attempt - created <= dt.timedelta(hours=73)
    assert message.attempts > 70  # hourly once the wait reached its cap
    clock.shift(dt.timedelta(days=2))
    smtp_settings.answer = ""
    assert deliver_due() == 0
    message.refresh_from_db()
    assert (message.status, smtp_settings.messages) == (Message.Status.FAILED, [])


def test_a_definite_no_from_the_server_fails_the_email_at_once(smtp_settings, clock, queue, caplog):
    smtp_settings.answer = "550 5.1.1 <learner@example.com> told us: no such user"

    with caplog.at_level(logging.INFO, logger="outbox"):
        message = queue(to="learner@example.com")
        clock.shift(dt.timedelta(hours=2))
        deliver_due()

    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.FAILED, 1)
    # The error's type and code only: a server's reply may quote the address or the text.
    assert message.last_error == "SMTPDataError 550"
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("outbox"))
    assert "SMTPDataError 550" in logged
    assert "learner@example.com" not in logged and "told us" not in logged


def test_a_sent_email_keeps_who_what_and_when_but_not_its_content(smtp_settings, clock, queue):
    message = queue(
        "forum_reported",
        to="moderator@example.com",
        context={
            "reason": "Spam",
            "report_url": "http://127.0.0.1:8000/admin/forum/report/9/change/",
            "queue_url": "http://127.0.0.1:8000/admin/forum/report/?status__exact=open",
            "open_count": 1,
        },
        headers={"List-Unsubscribe": "<http://127.0.0.1:8000/forum/unsubscribe/abc/>"},
    )

    assert smtp_settings.recipients() == ["moderator@example.com"]
    assert (message.status, message.name, message.to) == (
        "done",
        "forum_reported",
        ["moderator@example.com"],
    )
    assert message.done_at == START
    assert (message.payload, message.headers) == ({}, {})


def test_a_change_that_rolls_back_leaves_no_email(
    smtp_settings, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_email("qa_digest", ["instructor@example.com"], DIGEST)
        raise RuntimeError("the change failed after the email was queued")

    assert not Message.objects.exists()
    assert smtp_settings.messages == []


def test_a_reminder_the_server_could_not_take_before_the_session_is_never_sent(
    smtp_settings, learner, cohort, django_capture_on_commit_callbacks
):
    session = make_session(cohort)
    smtp_settings.answer = "451 4.3.0 Busy"
    with (
        time_machine.travel(FRIDAY_NOON - dt.timedelta(minutes=50), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        zoomgroups.send_due_reminders()
    (reminder,) = Message.objects.filter(name="zoomgroups_reminder")
    assert reminder.status == Message.Status.PENDING

    smtp_settings.answer = ""
    with time_machine.travel(session.starts_at + dt.timedelta(minutes=5), tick=False):
        deliver_due()

    reminder.refresh_from_db()
    assert reminder.status == Message.Status.FAILED
    assert reminder.last_error.startswith("Too late")
    assert smtp_settings.messages == []


def test_sent_and_failed_messages_are_forgotten_after_their_keeping_time(
    smtp_settings, clock, queue
):
    sent = queue()
    smtp_settings.answer = "550 5.7.1 Refused"
    failed = queue()
    smtp_settings.answer = "451 4.3.0 Busy"
    waiting = queue()

    clock.shift(dt.timedelta(days=31))
    assert purge() == 1
    clock.shift(dt.timedelta(days=60))
    assert purge() == 1

    assert not Message.objects.filter(pk__in=[sent.pk, failed.pk]).exists()
    assert Message.objects.filter(pk=waiting.pk).exists()
