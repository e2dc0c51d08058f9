"""Celery: tasks run inline without a broker, and a real worker runs them on Redis."""

import datetime as dt
import os
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from lib import email
from outbox.services import deliver_due, queue_rendered_email
from tests.outbox.conftest import test_database_url

ROOT = Path(__file__).resolve().parent.parent


def test_tasks_run_inline_without_a_broker(db, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_rendered_email(subject="Hello", text="Body", to=["a@example.com"])
    assert [m.subject for m in mailoutbox] == ["Hello"]


def test_transient_smtp_errors_are_retried_and_permanent_ones_are_not():
    assert email.is_transient(smtplib.SMTPServerDisconnected("gone"))
    assert email.is_transient(smtplib.SMTPResponseException(451, b"try later"))
    assert not email.is_transient(smtplib.SMTPResponseException(550, b"no such user"))
    assert not email.is_transient(ValueError("bad template"))


def test_send_message_retries_on_a_transient_failure(
    db, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    calls = []
    real_send = email.EmailMultiAlternatives.send

    def flaky_send(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise smtplib.SMTPServerDisconnected("dropped")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(email.EmailMultiAlternatives, "send", flaky_send)
    with django_capture_on_commit_callbacks(execute=True):
        queue_rendered_email(subject="Retry", text="x", to=["a@example.com"])
    # The first attempt failed; the outbox's re-driver tries again a minute later and sends.
    assert mailoutbox == []
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1, seconds=1)):
        deliver_due()
    assert len(calls) == 2
    assert [m.subject for m in mailoutbox] == ["Retry"]


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_process_runs_a_task_from_redis(tmp_path, transactional_db):
    redis_url = settings.TEST_REDIS_URL
    if not redis_url:
        from tests.conftest import skip_or_fail

        skip_or_fail("REQUIRE_REDIS", "needs Redis: TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "worker-test",
        "DEBUG": "0",
        "REDIS_URL": redis_url,
        # The task records the message in the outbox (the test's database) before sending.
        "DATABASE_URL": test_database_url(),
        "EMAIL_URL": f"file://{outbox}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
         "--pool", "solo", "-l", "warning", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        from celery import Celery

        # Not the current app: shared tasks of later tests must still find the site's own app
        # (inline without a broker), not this client's.
        client = Celery(broker=redis_url, set_as_current=False)
        client.send_task(
            "lib.email.send_message",
            kwargs={
                "subject": "From the worker",
                "text": "Sent by a real worker.",
                "to": ["w@example.com"],
            },
            queue=queue,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(outbox.iterdir()):
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.25)
        files = list(outbox.iterdir())
        assert files, "the worker did not send the message within 60 s"
        assert "Subject: From the worker" in files[0].read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
