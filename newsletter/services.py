"""TIFT use cases: signing up, confirming, unsubscribing, importing, and sending an issue.

Sending, step by step (each step is safe to run twice):
1. `start_issue` moves a due issue from scheduled to sending with one conditional UPDATE, so
   a second trigger (beat twice, a double click) finds nothing to do.
2. `snapshot_audience` writes one queued Delivery per confirmed reader, in chunks, with
   `ignore_conflicts` against the unique (issue, subscriber) pair.
3. `fan_out` enqueues one `send_batch` task per range of delivery ids.
4. `send_batch` claims the queued rows of its range with one UPDATE under a random claim
   token, then splits them over NEWSLETTER_SMTP_CONNECTIONS lanes (threads, each with its own
   SMTP connection reused for the whole batch and its own database connection). Every lane is
   the same plain loop: send one message, mark its row sent right after the server accepted
   it, then the next. So a worker killed at any point leaves at most one message per lane
   that the server took but the database does not know about: the ones in flight.
   A reader who unsubscribed since the snapshot is skipped. Temporary failures go back to the
   queue and the task retries with backoff; permanent ones are marked failed or bounced.
5. `recover_stalled` (beat) re-queues claims older than NEWSLETTER_STALE_MINUTES — rows a
   killed worker left — and fans out again. A live batch renews its claim every tenth of that
   time, so only dead workers' rows go stale; and every write a batch makes names its token,
   so a batch that was presumed dead (stuck for the whole window) finds its rows gone at its
   next write and stops, after at most the message each lane had in flight.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import logging
import secrets
import smtplib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from lib import email as mail
from newsletter.models import Delivery, Infographic, Issue, Subscriber
from outbox.services import queue_email

logger = logging.getLogger(__name__)

CONFIRM_SALT = "newsletter.confirm"
SNAPSHOT_CHUNK = 5000
MAX_ATTEMPTS = 5
UNSUBSCRIBE_PLACEHOLDER = "tift-unsubscribe-url-placeholder"


# Readers ----------------------------------------------------------------------------------


def confirmation_token(subscriber: Subscriber) -> str:
    """A signed, timestamped token naming the reader and the address it was sent to."""
    return signing.dumps({"s": subscriber.pk, "e": subscriber.email}, salt=CONFIRM_SALT)


def subscriber_from_token(token: str) -> Subscriber | None:
    """The reader a confirmation token names; None when forged, expired or out of date.

    Raises signing.SignatureExpired for a genuine but expired token, so the page can say so.
    """
    max_age = dt.timedelta(days=settings.NEWSLETTER_CONFIRM_DAYS)
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    pk, email = data.get("s"), data.get("e")
    if not isinstance(pk, int) or not isinstance(email, str):
        return None
    return Subscriber.objects.filter(pk=pk, email=email).first()


def list_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: one-click POST URL first, then a mailto fallback."""
    return {
        "List-Unsubscribe": (
            f"<{subscriber.one_click_url}>, "
            f"<mailto:{settings.NEWSLETTER_UNSUBSCRIBE_EMAIL}?subject=unsubscribe>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _send_confirmation(subscriber: Subscriber) -> None:
    url = settings.SITE_URL + reverse("newsletter:confirm", args=[confirmation_token(subscriber)])
    queue_email(
        "newsletter_confirm",
        [subscriber.email],
        {
            "confirm_url": url,
            "days": settings.NEWSLETTER_CONFIRM_DAYS,
            "unsubscribe_url": subscriber.unsubscribe_url,
        },
        list_headers(subscriber),
    )
    Subscriber.objects.filter(pk=subscriber.pk).update(confirmation_sent_at=timezone.now())


def _send_welcome(subscriber: Subscriber) -> None:
    infographic = Infographic.current()
    queue_email(
        "newsletter_welcome",
        [subscriber.email],
        {
            "name": subscriber.name,
            "infographic_title": infographic.title if infographic else "",
            "infographic_url": (
                settings.SITE_URL + reverse("newsletter:infographic") if infographic else ""
            ),
            "archive_url": settings.SITE_URL + reverse("newsletter:archive"),
            "unsubscribe_url": subscriber.unsubscribe_url,
        },
        list_headers(subscriber),
    )


@transaction.atomic
def subscribe(*, email: str, name: str = "", source: str = Subscriber.Source.SIGNUP) -> None:
    """Start a double opt-in. A confirmed reader is left exactly as they are (no email: an
    email would tell whoever typed the address that it is on the list)."""
    email = email.strip().lower()
    subscriber, created = Subscriber.objects.select_for_update().get_or_create(
        email=email, defaults={"name": name.strip(), "source": source}
    )
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return
    if not created:
        subscriber.status = Subscriber.Status.PENDING
        if name.strip() and not subscriber.name:
            subscriber.name = name.strip()
        subscriber.save(update_fields=["status", "name"])
    _send_confirmation(subscriber)


@transaction.atomic
def confirm_subscriber(*, subscriber: Subscriber) -> bool:
    """Confirm a pending reader and send the welcome email; False if nothing changed."""
    changed = Subscriber.objects.filter(pk=subscriber.pk, status=Subscriber.Status.PENDING).update(
        status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now(), unsubscribed_at=None
    )
    if changed:
        subscriber.refresh_from_db()
        _send_welcome(subscriber)
    return bool(changed)


@transaction.atomic
def subscribe_account(*, user) -> Subscriber:
    """A signed-in learner subscribes their account address from the profile. The address
    is verified (allauth requires it before sign-in), so that is the opt-in: no second email
    loop, only the welcome."""
    from allauth.account.models import EmailAddress

    email = user.email.strip().lower()
    subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
        email=email,
        defaults={"name": user.display_name, "source": Subscriber.Source.PROFILE},
    )
    if subscriber.status == Subscriber.Status.CONFIRMED:
        return subscriber
    verified = EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()
    if not verified:
        subscribe(email=email, name=user.display_name, source=Subscriber.Source.PROFILE)
        return subscriber
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.PENDING)
    confirm_subscriber(subscriber=subscriber)
    subscriber.refresh_from_db()
    return subscriber


@transaction.atomic
def unsubscribe(*, subscriber: Subscriber) -> None:
    """Stop all mail to this reader at once, including deliveries already queued."""
    Subscriber.objects.filter(pk=subscriber.pk).exclude(
        status=Subscriber.Status.UNSUBSCRIBED
    ).update(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at=timezone.now())
    subscriber.refresh_from_db()


@transaction.atomic
def send_confirmations(*, subscriber_ids: Iterable[int]) -> int:
    """Staff asked to (re)send the confirmation email to pending readers (e.g. imported)."""
    pending = list(
        Subscriber.objects.filter(pk__in=list(subscriber_ids), status=Subscriber.Status.PENDING)
    )
    for subscriber in pending:
        _send_confirmation(subscriber)
    return len(pending)


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    invalid: int = 0


@transaction.atomic
def import_subscribers(*, csv_text: str, opted_in_elsewhere: bool) -> ImportResult:
    """Add the addresses of a CSV (an `email` column, optional `name`; or one address a line).

    New addresses are marked imported. They are confirmed only when staff state that these
    people opted in elsewhere; otherwise they stay pending until they confirm a link staff
    choose to send. Addresses already known keep their status: an import never re-confirms
    someone who unsubscribed or bounced.
    """
    rows = list(csv.reader(io.StringIO(csv_text)))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "email" in header:
        email_col = header.index("email")
        name_col = header.index("name") if "name" in header else None
        rows = rows[1:]
    else:
        email_col, name_col = 0, 1
    result = ImportResult()
    seen: dict[str, str] = {}
    for row in rows:
        if len(row) <= email_col:
            continue
        address = row[email_col].strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            result.invalid += 1
            continue
        name = row[name_col].strip() if name_col is not None and len(row) > name_col else ""
        seen.setdefault(address, name[:120])
    existing = set(Subscriber.objects.filter(email__in=list(seen)).values_list("email", flat=True))
    now = timezone.now()
    status = Subscriber.Status.CONFIRMED if opted_in_elsewhere else Subscriber.Status.PENDING
    new = [
        Subscriber(
            email=address,
            name=name,
            status=status,
            source=Subscriber.Source.IMPORT,
            imported=True,
            created_at=now,
            confirmed_at=now if opted_in_elsewhere else None,
        )
        for address, name in seen.items()
        if address not in existing
    ]
    Subscriber.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    result.created = len(new)
    result.unchanged = len(existing)
    return result


def export_rows(queryset) -> Iterable[list[str]]:
    yield ["email", "name", "status", "source", "imported", "created_at", "confirmed_at"]
    for s in queryset.order_by("pk").iterator(chunk_size=2000):
        yield [
            s.email,
            s.name,
            s.status,
            s.source,
            "yes" if s.imported else "no",
            s.created_at.isoformat(),
            s.confirmed_at.isoformat() if s.confirmed_at else "",
        ]


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


def issue_context(issue: Issue, unsubscribe_url: str) -> dict:
    return {
        "number": issue.number,
        "title": issue.title,
        "body": issue.body,
        "issue_url": settings.SITE_URL + issue.get_absolute_url(),
        "archive_url": settings.SITE_URL + reverse("newsletter:archive"),
        "unsubscribe_url": unsubscribe_url,
    }


def short_lines(content: str, width: int = 900) -> str:
    """Break lines longer than `width` at spaces. The editor writes a paragraph as one line;
    past 998 characters (RFC 5322) the email would be quoted-printable, which is harder on
    old clients and defeats the per-batch template (see _Template). A newline is just
    whitespace in HTML and in our sanitized markup (no <pre>)."""
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


def render_issue(issue: Issue, unsubscribe_url: str = UNSUBSCRIBE_PLACEHOLDER):
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


def fan_out(*, issue_id: int) -> int:
    """Enqueue one batch task per range of queued delivery ids; returns how many."""
    from newsletter import tasks

    Issue.objects.filter(pk=issue_id).update(fanned_out_at=timezone.now())
    ids = list(
        Delivery.objects.filter(issue_id=issue_id, status=Delivery.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = settings.NEWSLETTER_BATCH_SIZE
    ranges = [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]
    del ids
    for first, last in ranges:
        tasks.send_batch.delay_on_commit(issue_id, first, last)
    if not ranges:
        finish_issue_if_done(issue_id=issue_id)
    return len(ranges)


@dataclass
class BatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
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
        .select_related("subscriber")
        .order_by("pk")
    )
    return Claim(token=token, deliveries=deliveries)


def _mark(claim: Claim, deliveries: list[Delivery], status: str, error: str = "", **fields) -> int:
    """Set the status of rows this batch still holds; returns how many it still held."""
    if not deliveries:
        return 0
    return Delivery.objects.filter(pk__in=[d.pk for d in deliveries], claim=claim.token).update(
        status=status, error=error[:255], claim="", **fields
    )


def mark_sent(*, delivery_id: int, claim: str) -> bool:
    """Record one message as sent, right after the server accepted it and before the next
    one goes out. False when the row is no longer this batch's (recovery re-queued it)."""
    with db_connection.cursor() as cursor:  # plain SQL: this runs for every message
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, sent_at = %s, claim = '', "  # noqa: S608 - the table name is ours
            "error = '' WHERE id = %s AND claim = %s",
            [Delivery.Status.SENT, timezone.now(), delivery_id, claim],
        )
        return cursor.rowcount == 1


def renew_claim(*, claim: str, deliveries: list[Delivery]) -> bool:
    """Push the lease forward for the rows still to send; False if any were taken away."""
    renewed = Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claim=claim, status=Delivery.Status.SENDING
    ).update(claimed_at=timezone.now())
    return renewed == len(deliveries)


def _is_recipient_refused(exc: BaseException) -> bool:
    return isinstance(exc, smtplib.SMTPRecipientsRefused) or (
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code in (550, 551, 553)
    )


def _stops_the_batch(exc: BaseException) -> bool:
    """Errors that say nothing about this reader: retry the whole rest of the batch later."""
    return mail.is_transient(exc) or isinstance(
        exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError
    )


@dataclass
class _Template:
    """An issue serialized once per batch with placeholders of fixed length, so that each
    message is three byte replacements instead of a fresh MIME serialization (the costly
    part of sending). Used with the SMTP backend; other backends get built messages."""

    raw: bytes
    from_email: str
    token: bytes
    address: bytes
    message_id: bytes

    @classmethod
    def build(cls, render: tuple[str, str, str]) -> _Template | None:
        from django.core.mail.message import sanitize_address
        from django.core.mail.utils import DNS_NAME

        subject, text, html = render
        token, message_id = secrets.token_hex(16), secrets.token_hex(16)
        address = f"{secrets.token_hex(8)}@tift.invalid"
        stand_in = Subscriber(email=address, token=token)
        url = stand_in.unsubscribe_url
        message = mail.build_message(
            subject=subject,
            text=text.replace(UNSUBSCRIBE_PLACEHOLDER, url),
            html=html.replace(UNSUBSCRIBE_PLACEHOLDER, url),
            to=[address],
            headers={**list_headers(stand_in), "Message-ID": f"<{message_id}@{DNS_NAME}>"},
        )
        # Django's SafeMIME messages take `linesep`; the stubs type message() as a plain Message.
        raw = message.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        expected = text.count(UNSUBSCRIBE_PLACEHOLDER) + html.count(UNSUBSCRIBE_PLACEHOLDER) + 1
        if (
            raw.count(token.encode()) != expected
            or raw.count(address.encode()) != 1
            or raw.count(message_id.encode()) != 1
        ):
            return None  # an encoding (quoted-printable, base64) hid a placeholder
        return cls(
            raw=raw,
            from_email=sanitize_address(message.from_email, message.encoding or "utf-8"),
            token=token.encode(),
            address=address.encode(),
            message_id=message_id.encode(),
        )

    def fits(self, subscriber: Subscriber) -> bool:
        return (
            len(subscriber.token) == len(self.token)
            and subscriber.email.isascii()
            and len(subscriber.email) <= 64  # a longer To header could fold differently
        )

    def send(self, smtp, subscriber: Subscriber) -> None:
        raw = (
            self.raw.replace(self.token, subscriber.token.encode())
            .replace(self.address, subscriber.email.encode())
            .replace(self.message_id, secrets.token_hex(16).encode())
        )
        smtp.sendmail(self.from_email, [subscriber.email], raw)


class _Sender:
    """One connection to the configured email backend, kept open for a whole batch."""

    def __init__(self, render: tuple[str, str, str]) -> None:
        from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

        self.render = render
        self.connection = mail.open_connection()
        self.connection.open()
        self.template = (
            _Template.build(render) if isinstance(self.connection, SMTPBackend) else None
        )

    def send(self, subscriber: Subscriber) -> None:
        if self.template is not None and self.template.fits(subscriber):
            self.template.send(self.connection.connection, subscriber)
            return
        subject, text, html = self.render
        url = subscriber.unsubscribe_url
        message = mail.build_message(
            subject=subject,
            text=text.replace(UNSUBSCRIBE_PLACEHOLDER, url),
            html=html.replace(UNSUBSCRIBE_PLACEHOLDER, url),
            to=[subscriber.email],
            headers=list_headers(subscriber),
            connection=self.connection,
        )
        if not self.connection.send_messages([message]):
            raise smtplib.SMTPServerDisconnected("the connection is closed")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a broken connection is closed either way
            self.connection.close()


@contextlib.contextmanager
def _fast_commits():
    """On PostgreSQL, don't wait for the disk on each per-message commit. A killed worker
    loses nothing by this (the server already has the commit); only a crash of the database
    server itself could forget the last fraction of a second of sent-marks."""
    if db_connection.vendor != "postgresql":
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def send_batch(*, issue_id: int, first_id: int, last_id: int) -> BatchResult:
    """Send the claimed rows of one range over one connection, one message at a time, each
    recorded as sent before the next goes out. See the module docstring."""
    result = BatchResult()
    issue = Issue.objects.filter(pk=issue_id, status=Issue.Status.SENDING).first()
    if issue is None:
        return result
    claim = claim_batch(issue_id=issue_id, first_id=first_id, last_id=last_id)
    gone = [d for d in claim.deliveries if d.subscriber.status != Subscriber.Status.CONFIRMED]
    result.skipped = _mark(claim, gone, Delivery.Status.SKIPPED)
    todo = [d for d in claim.deliveries if d.subscriber.status == Subscriber.Status.CONFIRMED]
    if todo:
        with _fast_commits():
            _send_claimed(claim, todo, render_issue(issue), result)
    finish_issue_if_done(issue_id=issue_id)
    return result


def _send_claimed(
    claim: Claim, todo: list[Delivery], render: tuple[str, str, str], result: BatchResult
) -> None:
    """Split the batch over NEWSLETTER_SMTP_CONNECTIONS lanes. Each lane is the same plain
    loop (send, record, next) on its own SMTP and database connection, so each can leave at
    most one message unrecorded. A single lane runs in this thread."""
    lanes = max(1, min(settings.NEWSLETTER_SMTP_CONNECTIONS, len(todo)))
    if lanes == 1:
        _send_lane(claim, todo, render, result)
        return
    shares = [BatchResult() for _ in range(lanes)]
    threads = [
        threading.Thread(target=_lane_thread, args=(claim, todo[n::lanes], render, shares[n]))
        for n in range(lanes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for share in shares:
        result.sent += share.sent
        result.failed += share.failed
        result.claim_lost |= share.claim_lost
        result.transient = result.transient or share.transient


def _lane_thread(
    claim: Claim, todo: list[Delivery], render: tuple[str, str, str], result: BatchResult
) -> None:
    try:
        with _fast_commits():
            _send_lane(claim, todo, render, result)
    finally:
        db_connection.close()  # this thread's own connection


def _send_lane(
    claim: Claim, todo: list[Delivery], render: tuple[str, str, str], result: BatchResult
) -> None:
    try:
        sender = _Sender(render)
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
            try:
                sender.send(delivery.subscriber)
            except Exception as exc:
                if _stops_the_batch(exc):
                    _release(claim, todo[index:], exc, result)
                    break
                if not _record_permanent_failure(claim, delivery, exc):
                    result.claim_lost = True
                    break
                result.failed += 1
                continue
            if not mark_sent(delivery_id=delivery.pk, claim=claim.token):
                result.claim_lost = True
                break
            result.sent += 1
    finally:
        sender.close()
    if result.claim_lost:
        logger.warning(
            "TIFT batch %s lost its claim to the recovery sweep; stopped", claim.token[:8]
        )


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
    result.transient = exc if requeued else None


def _record_permanent_failure(claim: Claim, delivery: Delivery, exc: BaseException) -> bool:
    """Mark a refused message bounced (and its reader) or failed; False if no longer ours."""
    if _is_recipient_refused(exc):
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(
            status=Subscriber.Status.BOUNCED
        )
        return bool(_mark(claim, [delivery], Delivery.Status.BOUNCED, repr(exc)))
    # The type and code only: a server's message may quote the reader's address.
    logger.warning(
        "TIFT delivery %s failed: %s %s",
        delivery.pk,
        type(exc).__name__,
        getattr(exc, "smtp_code", ""),
    )
    return bool(_mark(claim, [delivery], Delivery.Status.FAILED, repr(exc)))


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
