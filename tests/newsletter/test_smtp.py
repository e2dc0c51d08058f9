"""A real issue through a real SMTP server (aiosmtpd) on loopback: refusals for good (550)
and for now (452), and readers who unsubscribe while their batch is being sent."""

import datetime as dt
import email
import socket
import threading
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from newsletter import sending
from newsletter.models import Delivery, Issue, Subscriber

pytestmark = pytest.mark.django_db


class Sink:
    """Keeps every message; refuses one address with a permanent 550, and the addresses of
    `full` once each with a 452 (mailbox full). With `pause` set, the first message waits in
    DATA until the test sets `release`."""

    def __init__(self, refuse: str) -> None:
        self.refuse = refuse
        self.full: set[str] = set()
        self.pause = False
        self.reached, self.release = threading.Event(), threading.Event()
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such user"
        if address in self.full:
            self.full.discard(address)
            return "452 4.2.2 Mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.pause and not self.messages:
            self.reached.set()
            self.release.wait(10)
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [rcpt[0] for rcpt, _ in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink(refuse="nobody@example.com")
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    yield sink
    controller.stop()


def test_an_issue_goes_through_a_real_smtp_server(
    smtp_sink, make_issue, make_reader, django_capture_on_commit_callbacks
):
    readers = [make_reader(f"reader{n}@example.com") for n in range(3)]
    # Too long for the per-batch byte template: built as a fresh message instead.
    readers.append(
        make_reader("a-reader-with-a-rather-long-address-for-the-fallback-path@example.com")
    )
    make_reader("gone@example.com", status="unsubscribed")
    refused = make_reader("nobody@example.com")
    issue = make_issue(
        12,
        title="Working with shame",
        status=Issue.Status.SCHEDULED,
        scheduled_for=timezone.now() - dt.timedelta(minutes=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_due_issues()

    received = {
        rcpt[0]: email.message_from_bytes(raw, policy=policy.default)
        for rcpt, raw in smtp_sink.messages
    }
    assert sorted(received) == sorted(r.email for r in readers)
    assert len(smtp_sink.messages) == 4
    for reader in readers:
        message = received[reader.email]
        assert message["Subject"] == "TIFT #12: Working with shame"
        assert message["To"] == reader.email
        one_click = f"http://127.0.0.1:8000/newsletter/unsubscribe/{reader.token}/one-click/"
        assert message["List-Unsubscribe"].strip().startswith(f"<{one_click}>, <mailto:")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        visible = f"http://127.0.0.1:8000/newsletter/unsubscribe/{reader.token}/"
        assert visible in text and f'href="{visible}"' in html
        assert "Body of issue 12" in text and "Body of issue 12" in html
        assert "<img" not in html
    assert len({m["Message-ID"] for m in received.values()}) == 4
    assert Delivery.objects.get(subscriber=refused).status == "bounced"
    assert Subscriber.objects.get(pk=refused.pk).status == "bounced"
    issue.refresh_from_db()
    assert (issue.status, issue.sent_count, issue.failed_count) == ("sent", 4, 1)


def test_the_confirmation_email_goes_through_smtp_with_unsubscribe_headers(
    smtp_sink, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/newsletter/signup/", {"email": "new@example.com"})

    ((rcpt, raw),) = smtp_sink.messages
    message = email.message_from_bytes(raw, policy=policy.default)
    assert rcpt == ["new@example.com"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/newsletter/confirm/" in message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def due_issue(make_issue):
    return make_issue(
        8, status=Issue.Status.SCHEDULED, scheduled_for=timezone.now() - dt.timedelta(minutes=1)
    )


def test_a_full_mailbox_defers_only_that_reader_and_is_retried_later(
    smtp_sink, due_issue, make_reader, django_capture_on_commit_callbacks
):
    first, full, *rest = [make_reader(f"{n}@example.com") for n in ("a", "full", "b", "c", "d")]
    smtp_sink.full = {full.email}

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_due_issues()  # inline, the task's retry runs at once

    # The others went out in the first pass, over the same connection; the full mailbox in
    # the retry, alone.
    assert smtp_sink.recipients() == [first.email, *(r.email for r in rest), full.email]
    attempts = dict(Delivery.objects.values_list("subscriber__email", "attempts"))
    assert attempts == {r.email: 1 for r in [first, *rest]} | {full.email: 2}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert Subscriber.objects.get(pk=full.pk).status == "confirmed"


def test_a_refused_address_marks_only_that_reader_bounced_and_the_batch_goes_on(
    smtp_sink, due_issue, make_reader, django_capture_on_commit_callbacks
):
    readers = [make_reader(f"{n}@example.com") for n in ("a", "b")]
    refused = make_reader("nobody@example.com")
    readers += [make_reader(f"{n}@example.com") for n in ("c", "d")]

    with django_capture_on_commit_callbacks(execute=True):
        sending.send_due_issues()

    assert smtp_sink.recipients() == [r.email for r in readers]
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    assert statuses == {r.email: "confirmed" for r in readers} | {refused.email: "bounced"}
    assert Delivery.objects.get(subscriber=refused).status == "bounced"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readers_who_unsubscribe_while_their_batch_is_sent_get_nothing(
    smtp_sink, client, make_issue, make_reader
):
    """The batch has started (its first message is with the server) when three readers of
    the same batch unsubscribe, each committed at once: no message goes to them."""
    readers = [make_reader(f"r{n}@example.com") for n in range(6)]
    issue = make_issue(9, status=Issue.Status.SENDING)
    sending.snapshot_audience(issue_id=issue.pk)
    ((first_id, last_id),) = sending.batch_ranges(issue_id=issue.pk)
    smtp_sink.pause = True

    def worker() -> None:
        try:
            sending.send_batch(issue_id=issue.pk, first_id=first_id, last_id=last_id)
        finally:
            connection.close()

    batch = threading.Thread(target=worker)
    batch.start()
    try:
        assert smtp_sink.reached.wait(10), "the batch never reached the server"
        for reader in readers[2:5]:
            response = client.post(reverse("newsletter:one_click", args=[reader.token]))
            assert response.status_code == 200
    finally:
        smtp_sink.release.set()
        batch.join(30)

    assert smtp_sink.recipients() == [readers[0].email, readers[1].email, readers[5].email]
    statuses = dict(Delivery.objects.values_list("subscriber__email", "status"))
    assert [statuses[r.email] for r in readers] == ["sent", "sent"] + ["skipped"] * 3 + ["sent"]
    issue.refresh_from_db()
    assert (issue.status, issue.sent_count) == ("sent", 3)
