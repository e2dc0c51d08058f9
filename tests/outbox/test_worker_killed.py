"""A worker killed with -9 in the middle of a task: another worker does the task within
the visibility timeout (5 s here, 300 s in production), and it is done once."""

import datetime as dt
import time

import pytest
import time_machine
from django.db import transaction

from outbox.models import Message
from outbox.services import queue_email
from tests.outbox.conftest import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

VISIBILITY_TIMEOUT = 5


def test_the_email_a_killed_worker_was_sending_is_sent_by_the_next_worker_once(
    workers, broker, smtp_server
):
    smtp_server.stalling = True  # the mail server takes the message and never answers
    first = workers.start(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
    with transaction.atomic():
        message = queue_email(
            "qa_digest",
            ["instructor@example.com"],
            {"new_count": 1, "waiting_count": 1, "overdue_count": 0, "target_days": 7},
        )
    wait_for(smtp_server.stalled.is_set, 60, "the first worker is sending")

    workers.kill(first)
    killed = time.monotonic()
    smtp_server.stalling = False
    workers.start(CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))

    wait_for(lambda: smtp_server.messages, 60, "the second worker sends")
    # The broker gave the task back after the visibility timeout (plus one restore sweep,
    # and the new worker's start), not after Redis's default hour.
    assert time.monotonic() - killed < VISIBILITY_TIMEOUT + 20
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.DONE, 1)
    # Nothing is left that could send it again: the task was acknowledged, none is queued.
    redis = broker.client()
    wait_for(lambda: redis.hlen("unacked") == 0, 10, "the task acknowledged")
    assert redis.llen("celery") == 0
    assert smtp_server.recipients() == ["instructor@example.com"]


@pytest.mark.django_db
def test_newsletter_messages_a_killed_worker_left_go_out_within_three_minutes_by_default(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    from celery.schedules import crontab

    from config.celery import app
    from newsletter import tasks
    from newsletter.models import Delivery, Issue, Subscriber

    settings.NEWSLETTER_SMTP_CONNECTIONS = 1  # send in the test's own transaction
    killed_at = dt.datetime(2027, 3, 2, 14, 0, tzinfo=dt.UTC)
    reader = Subscriber.objects.create(email="reader@example.com", status="confirmed")
    issue = Issue.objects.create(
        number=1,
        title="Working with shame",
        body="<p>Body</p>",
        status=Issue.Status.SENDING,
        send_started_at=killed_at,
        snapshot_done_at=killed_at,
        fanned_out_at=killed_at,
    )
    # The worker claimed the row (renewing the claim as it went) and was killed.
    Delivery.objects.create(
        issue=issue, subscriber=reader, status="sending", claim="dead", claimed_at=killed_at
    )

    # Beat runs the recovery every minute; the claim is stale after the default two.
    assert app.conf.beat_schedule["newsletter-recover-stalled-sends"]["schedule"] == crontab()
    with (
        time_machine.travel(killed_at + dt.timedelta(minutes=2, seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.recover_stalled_sends.delay()

    assert [m.to for m in mailoutbox] == [["reader@example.com"]]


def test_every_task_is_stopped_before_the_broker_would_hand_it_to_another_worker():
    from config.celery import app

    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert 60 <= timeout <= 600  # minutes, not Redis's default hour
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < timeout
    app.loader.import_default_modules()
    for task in app.tasks.values():
        assert (task.time_limit or 0) < timeout, task.name
