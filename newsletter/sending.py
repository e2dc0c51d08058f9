"""Sending a TIFT issue: scheduling, the audience snapshot, batches and their deliveries.

Step by step (each step is safe to run twice):
1. `start_issue` moves a due issue from scheduled to sending with one conditional UPDATE, so
   a second trigger (beat twice, a double click) finds nothing to do.
2. `snapshot_audience` writes one queued Delivery per confirmed reader, in chunks, with
   `ignore_conflicts` against the unique (issue, subscriber) pair.
3. `fan_out` enqueues one `send_batch` task per range of delivery ids. Parallelism comes from
   several of these tasks in several worker processes.
4. `send_batch` claims the queued rows of its range with one UPDATE under a random claim
   token, opens one connection to the email backend, and for each reader in turn: locks the
   reader's row and checks they are still subscribed, builds a Django email message and hands
   it to the server, records the row as sent, and commits (which releases the lock). So an
   unsubscribe waits for a message in flight and none leaves after it commits; and a worker
   killed at any point leaves at most one message that the server took but the database does
   not know about: the one in flight. A recipient refused for now (4xx, say a full mailbox)
   goes back to the queue alone and the task retries later; one refused for good (5xx) is
   marked bounced; a dropped connection puts the rest of the batch back in the queue.
5. `recover_stalled` (beat) re-queues claims older than NEWSLETTER_STALE_MINUTES — rows a
   killed worker left — and fans out again. A live batch renews its claim every tenth of that
   time, so only dead workers' rows go stale; and every write a batch makes names its token,
   so a batch that was presumed dead (stuck for the whole window) finds its rows gone at its
   next write and stops, after at most the message it had in flight.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import smtplib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from lib import email as mail
from newsletter.models import Delivery, Issue, Subscriber
from newsletter.subscriptions import list_headers
from outbox.services import queue_email

logger = logging.getLogger(__name__)

SNAPSHOT_CHUNK = 5000
MAX_ATTEMPTS = 5
UNSUBSCRIBE_PLACEHOLDER = "tift-unsubscribe-url-placeholder"


# Issues -----------------------------------------------------------------------------------


@transaction.atomic
def schedule_issue(*, issue: Issue, when: dt.datetime | None = None) -> None:
    """Put a draft (or re-time a scheduled issue) on the schedule."""
    when = when or issue.scheduled_for or Issue.default_send_time()
    Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SCHEDULED, scheduled_for=when)
    issue.refresh_from_db()


@transaction.atomic
def unschedule_issue(*, issue: Issue) -> None:
    Issue.objects.filter(pk=issue.pk, status=Issue.Status.SCHEDULED).update(
        status=Issue.Status.DRAFT
    )
    issue.refresh_from_db()


def issue_context(issue: Issue, unsubscribe_url: str) -> dict[str, Any]:
    return {
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "issue_url": settings.SITE_URL + issue.get_absolute_url(),
        "archive_url": settings.SITE_URL + reverse("newsletter:archive"),
        "coaching_url": settings.SITE_URL + reverse("coaching"),
        "unsubscribe_url": unsubscribe_url,
    }


def short_lines(content: str, width: int = 900) -> str:
    """Break lines longer than `width` at spaces. The editor writes a paragraph as one line;
    past 998 characters (RFC 5322) Django encodes the whole part quoted-printable, which is
    harder on old clients. A newline is just whitespace in HTML and in our sanitized markup
    (no <pre>)."""
    lines = []
    for line in content.splitlines():
        while len(line) > width:
            cut = line.rfind(" ", 0, width)
            if cut <= 0:
                break
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines)


def render_issue(
    issue: Issue, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER
) -> tuple[str, str, str]:
    """Subject, text and HTML of the issue, rendered once per batch: each reader's message
    then has their own unsubscribe link in place of the placeholder."""
    subject, text, html = mail.render_email(
        "newsletter_issue", issue_context(issue, unsubscribe_url)
    )
    return subject, short_lines(text), short_lines(html)


def send_test_issue(*, issue: Issue, to: str) -> None:
    """Send the issue to a staff member, marked as a test. Enqueued after commit."""
    queue_email(
        "newsletter_issue",
        [to],
        {
            **issue_context(issue, settings.SITE_URL + reverse("newsletter:archive")),
            "test": True,
        },
    )


def start_issue(*, issue_id: int) -> bool:
    """Begin sending a due issue. Only the first caller wins; the others return False."""
    now = timezone.now()
    started = Issue.objects.filter(
        pk=issue_id, status=Issue.Status.SCHEDULED, scheduled_for__lte=now
    ).update(status=Issue.Status.SENDING, send_started_at=now)
    if not started:
        return False
    snapshot_audience(issue_id=issue_id)
    fan_out(issue_id=issue_id)
    return True


def snapshot_audience(*, issue_id: int) -> int:
    """One queued delivery per confirmed reader. Safe to repeat (unique pair, ignore conflicts)."""
    ids = Subscriber.objects.confirmed().order_by("pk").values_list("pk", flat=True)
    chunk: list[Delivery] = []
    for subscriber_id in ids.iterator(chunk_size=SNAPSHOT_CHUNK):
        chunk.append(Delivery(issue_id=issue_id, subscriber_id=subscriber_id))
        if len(chunk) >= SNAPSHOT_CHUNK:
            Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
            chunk = []
    if chunk:
        Delivery.objects.bulk_create(chunk, ignore_conflicts=True)
    total = Delivery.objects.filter(issue_id=issue_id).count()
    Issue.objects.filter(pk=issue_id).update(
        recipients_total=total, snapshot_done_at=timezone.now()
    )
    return total


def batch_ranges(*, issue_id: int) -> list[tuple[int, int]]:
    """The (first id, last id) ranges of NEWSLETTER_BATCH_SIZE queued deliveries each."""
    ids = list(
        Delivery.objects.filter(issue_id=issue_id, status=Delivery.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = settings.NEWSLETTER_BATCH_SIZE
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def fan_out(*, issue_id: int) -> int:
    """Enqueue one batch task per range of queued delivery ids; returns how many."""
    from newsletter import tasks

    Issue.objects.filter(pk=issue_id).update(fanned_out_at=timezone.now())
    ranges = batch_ranges(issue_id=issue_id)
    for first, last in ranges:
        tasks.send_batch.delay_on_commit(issue_id, first, last)
    if not ranges:
        finish_issue_if_done(issue_id=issue_id)
    return len(ranges)


# Batches ----------------------------------------------------------------------------------


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    # Set when rows went back to the queue: the task retries later, with backoff.
    transient: BaseException | None = None
    claim_lost: bool = False


@dataclass
class Claim:
    """The rows of one range that this batch took, under a random token. The token is the
    batch's lease: every later write about these rows names it, so once `recover_stalled`
    has given the rows to someone else, this batch can no longer touch them (and stops)."""

    token: str
    deliveries: list[Delivery]


def claim_batch(*, issue_id: int, first_id: int, last_id: int) -> Claim:
    """Atomically take the queued rows of the range; a second claimer gets none of them."""
    token = secrets.token_hex(16)
    Delivery.objects.filter(
        issue_id=issue_id,
        status=Delivery.Status.QUEUED,
        pk__gte=first_id,
        pk__lte=last_id,
    ).update(
        status=Delivery.Status.SENDING,
        claim=token,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    deliveries = list(
        Delivery.objects.filter(issue_id=issue_id, claim=token, pk__gte=first_id, pk__lte=last_id)
        .only("pk", "subscriber", "attempts")
        .order_by("pk")
    )
    return Claim(token=token, deliveries=deliveries)


def _mark(
    claim: Claim, deliveries: list[Delivery], status: str, error: str = "", **fields: Any
) -> int:
    """Set the status of rows this batch still holds; returns how many it still held."""
    if not deliveries:
        return 0
    return Delivery.objects.filter(pk__in=[d.pk for d in deliveries], claim=claim.token).update(
        status=status, error=error[:255], claim="", **fields
    )


def mark_sent(*, delivery_id: int, claim: str) -> bool:
    """Record one message as sent, right after the server accepted it and before the next
    one goes out. False when the row is no longer this batch's (recovery re-queued it)."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, claim=claim).update(
            status=Delivery.Status.SENT, sent_at=timezone.now(), claim="", error=""
        )
    )


def renew_claim(*, claim: str, deliveries: list[Delivery]) -> bool:
    """Push the lease forward for the rows still to send; False if any were taken away."""
    renewed = Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=claim, status=Delivery.Status.SENDING
    ).update(claimed_at=timezone.now())
    return renewed == len(deliveries)


def locked_reader(subscriber_id: int) -> Subscriber | None:
    """The reader, if still confirmed, with their row locked until the caller's transaction
    ends: an unsubscribe (an UPDATE of that row) waits until then."""
    return (
        Subscriber.objects.select_for_update(no_key=True)
        .filter(pk=subscriber_id, status=Subscriber.Status.CONFIRMED)
        .only("pk", "email", "token")
        .first()
    )


def build_issue_message(
    render: tuple[str, str, str], subscriber: Subscriber
) -> EmailMultiAlternatives:
    """One reader's copy: the batch's rendering with their own unsubscribe links."""
    subject, text, html = render
    url = subscriber.unsubscribe_url
    return mail.build_message(
        subject=subject,
        text=text.replace(UNSUBSCRIBE_PLACEHOLDER, url),
        html=html.replace(UNSUBSCRIBE_PLACEHOLDER, url),
        to=[subscriber.email],
        headers=list_headers(subscriber),
    )


def _refused_for_now(exc: BaseException) -> bool:
    """The server refused this recipient only, and only for now (452: mailbox full, 450:
    mailbox busy): other readers are not concerned."""
    return isinstance(exc, smtplib.SMTPRecipientsRefused) and mail.is_transient(exc)


def _is_recipient_refused(exc: BaseException) -> bool:
    return isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in (550, 551, 553)
    )


def _stops_the_batch(exc: BaseException) -> bool:
    """Errors that say nothing about this reader: retry the whole rest of the batch later."""
    return mail.is_transient(exc) or isinstance(
        exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError
    )


def send_batch(*, issue_id: int, first_id: int, last_id: int) -> BatchResult:
    """Send the claimed rows of one range over one connection, one message at a time, each
    recorded as sent before the next goes out. See the module docstring."""
    result = BatchResult()
    issue = Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).first()
    if issue is None:
        return result
    claim = claim_batch(issue_id=issue_id, first_id=first_id, last_id=last_id)
    if claim.deliveries:
        _send_claimed(claim, render_issue(issue), result)
    finish_issue_if_done(issue_id=issue_id)
    return result


def _send_claimed(claim: Claim, render: tuple[str, str, str], result: BatchResult) -> None:
    todo = claim.deliveries
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # no connection: the whole batch waits for a retry
        _release(claim, todo, exc, result)
        return
    renew_every = settings.NEWSLETTER_STALE_MINUTES * 60 / 10
    renewed = time.monotonic()
    try:
        for index, delivery in enumerate(todo):
            if time.monotonic() - renewed >= renew_every:
                if not renew_claim(claim=claim.token, deliveries=todo[index:]):
                    result.claim_lost = True
                    break
                renewed = time.monotonic()
            failure = None
            with transaction.atomic():
                reader = locked_reader(delivery.subscriber_id)
                if reader is None:  # unsubscribed (or bounced) since the snapshot
                    held = bool(_mark(claim, [delivery], Delivery.Status.SKIPPED))
                    result.skipped += int(held)
                else:
                    try:
                        if not connection.send_messages([build_issue_message(render, reader)]):
                            raise smtplib.SMTPServerDisconnected("the connection is closed")
                    except Exception as exc:
                        failure = exc
                        held = True
                    else:
                        held = mark_sent(delivery_id=delivery.pk, claim=claim.token)
                        result.sent += int(held)
            if failure is not None:
                if _refused_for_now(failure):
                    held = _defer(claim, delivery, failure, result)
                elif _stops_the_batch(failure):
                    _release(claim, todo[index:], failure, result)
                    break
                else:
                    held = _record_permanent_failure(claim, delivery, failure, result)
            if not held:
                result.claim_lost = True
                break
    finally:
        with contextlib.suppress(Exception):  # a broken connection is closed either way
            connection.close()
    if result.claim_lost:
        logger.warning(
            "TIFT batch %s lost its claim to the recovery sweep; stopped", claim.token[:8]
        )


def _defer(claim: Claim, delivery: Delivery, exc: BaseException, result: BatchResult) -> bool:
    """Put one reader's delivery back in the queue (or give up after MAX_ATTEMPTS) and go on
    with the batch; the task retries it later. False if the row is no longer ours."""
    if delivery.attempts >= MAX_ATTEMPTS:
        held = _mark(claim, [delivery], Delivery.Status.FAILED, repr(exc))
        result.failed += held
        return bool(held)
    held = _mark(claim, [delivery], Delivery.Status.QUEUED, repr(exc), claimed_at=None)
    if held:
        result.deferred += 1
        result.transient = exc
    return bool(held)


def _release(
    claim: Claim, deliveries: list[Delivery], exc: BaseException, result: BatchResult
) -> None:
    """Put rows back in the queue after a temporary failure (or give up after MAX_ATTEMPTS);
    the task retries with backoff."""
    error = repr(exc)
    retry = [d for d in deliveries if d.attempts < MAX_ATTEMPTS]
    give_up = [d for d in deliveries if d.attempts >= MAX_ATTEMPTS]
    requeued = _mark(claim, retry, Delivery.Status.QUEUED, error, claimed_at=None)
    result.failed += _mark(claim, give_up, Delivery.Status.FAILED, error)
    if requeued:
        result.transient = exc


def _record_permanent_failure(
    claim: Claim, delivery: Delivery, exc: BaseException, result: BatchResult
) -> bool:
    """Mark a refused message bounced (and its reader) or failed; False if no longer ours."""
    if _is_recipient_refused(exc):
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(
            status=Subscriber.Status.BOUNCED
        )
        held = _mark(claim, [delivery], Delivery.Status.BOUNCED, repr(exc))
    else:
        # The type and code only: a server's message may quote the reader's address.
        logger.warning(
            "TIFT delivery %s failed: %s %s",
            delivery.pk,
            type(exc).__name__,
            getattr(exc, "smtp_code", ""),
        )
        held = _mark(claim, [delivery], Delivery.Status.FAILED, repr(exc))
    result.failed += held
    return bool(held)


def delivery_counts(issue_id: int) -> dict[str, int]:
    counts = dict.fromkeys(Delivery.Status.values, 0)
    rows = (
        Delivery.objects.filter(issue_id=issue_id)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def finish_issue_if_done(*, issue_id: int) -> bool:
    """Mark the issue sent once no delivery is queued or in flight, with its final counts."""
    if Delivery.objects.filter(
        issue_id=issue_id, status__in=[Delivery.Status.QUEUED, Delivery.Status.SENDING]
    ).exists():
        return False
    counts = delivery_counts(issue_id)
    return bool(
        Issue.objects.filter(
            pk=issue_id, status=Issue.Status.SENDING, snapshot_done_at__isnull=False
        ).update(
            status=Issue.Status.SENT,
            sent_at=timezone.now(),
            recipients_total=sum(counts.values()),
            sent_count=counts[Delivery.Status.SENT],
            failed_count=counts[Delivery.Status.FAILED] + counts[Delivery.Status.BOUNCED],
        )
    )


def recover_stalled(*, now: dt.datetime | None = None) -> int:
    """Re-queue claims a dead worker left behind and resume issues that stopped moving."""
    now = now or timezone.now()
    stale = now - dt.timedelta(minutes=settings.NEWSLETTER_STALE_MINUTES)
    requeued = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=stale).update(
        status=Delivery.Status.QUEUED, claim="", claimed_at=None
    )
    for issue in Issue.objects.filter(status=Issue.Status.SENDING):
        if issue.snapshot_done_at is None:
            if issue.send_started_at and issue.send_started_at < stale:
                snapshot_audience(issue_id=issue.pk)
                fan_out(issue_id=issue.pk)
            continue
        if issue.fanned_out_at is None or issue.fanned_out_at < stale or requeued:
            fan_out(issue_id=issue.pk)
    return requeued


def send_due_issues(*, now: dt.datetime | None = None) -> list[int]:
    started = []
    for issue_id in Issue.objects.due(now).values_list("pk", flat=True):
        if start_issue(issue_id=issue_id):
            started.append(issue_id)
    return started
