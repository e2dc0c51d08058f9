"""Several SMTP lanes per batch, each in its own thread with its own database connection
(so these tests commit: PostgreSQL, transactional)."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from newsletter import services
from newsletter.models import Delivery, Issue

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_three_lanes_send_every_reader_exactly_once(make_issue, make_reader, mailoutbox, settings):
    settings.NEWSLETTER_SMTP_CONNECTIONS = 3
    readers = [make_reader(f"r{n:02}@example.com") for n in range(20)]
    issue = make_issue(
        4, status=Issue.Status.SCHEDULED, scheduled_for=timezone.now() - dt.timedelta(minutes=1)
    )

    services.send_due_issues()

    got = Counter(address for message in mailoutbox for address in message.to)
    assert got == Counter({r.email: 1 for r in readers})
    issue.refresh_from_db()
    assert (issue.status, issue.sent_count) == ("sent", 20)
    assert set(Delivery.objects.values_list("claim", flat=True)) == {""}


def test_each_lane_records_a_message_before_sending_its_next(
    make_issue, make_reader, mailoutbox, settings, monkeypatch
):
    """The guarantee behind "at most one unrecorded message per lane": when a lane sends,
    every message it sent before is already recorded in the database."""
    from django.core.mail.backends.locmem import EmailBackend

    settings.NEWSLETTER_SMTP_CONNECTIONS = 3
    for n in range(12):
        make_reader(f"r{n:02}@example.com")
    make_issue(
        5, status=Issue.Status.SCHEDULED, scheduled_for=timezone.now() - dt.timedelta(minutes=1)
    )
    real = EmailBackend.send_messages
    sent_by: dict[int, list[str]] = {}
    unrecorded = []

    def send_messages(self, messages):
        earlier = sent_by.setdefault(id(self), [])
        recorded = set(
            Delivery.objects.filter(status="sent").values_list("subscriber__email", flat=True)
        )
        unrecorded.extend(address for address in earlier if address not in recorded)
        earlier.extend(messages[0].to)
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    services.send_due_issues()

    assert len(sent_by) == 3  # three connections really shared the batch
    assert sum(len(v) for v in sent_by.values()) == 12
    assert unrecorded == []
