"""A real issue through a real SMTP server (aiosmtpd) on loopback."""

import datetime as dt
import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Issue, Subscriber

pytestmark = pytest.mark.django_db


class Sink:
    """Keeps every message; refuses one address with a permanent 550."""

    def __init__(self, refuse: str) -> None:
        self.refuse = refuse
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


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
        services.send_due_issues()

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
