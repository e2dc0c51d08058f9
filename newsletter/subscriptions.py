"""TIFT readers: signing up (double opt-in), confirming, unsubscribing, importing and
exporting, the welcome gift, and what the email provider reports about an address.

A confirmation link names the reader, the address it was sent to and the reader's sign-up
round: a reader who left (unsubscribed, bounced) and signs up again starts a new round, so a
link from before confirms nothing. The free infographic is reached only by a signed link that
expires, given to confirmed readers (the welcome email, the confirmed page).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anymail.signals import AnymailTrackingEvent
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Infographic, Subscriber
from outbox.services import queue_email

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

CONFIRM_SALT = "newsletter.confirm"
INFOGRAPHIC_SALT = "newsletter.infographic"


def confirmation_token(subscriber: Subscriber) -> str:
    """A signed, timestamped token naming the reader, the address it was sent to and the
    sign-up round it belongs to."""
    return signing.dumps(
        {"s": subscriber.pk, "e": subscriber.email, "r": subscriber.signup_round},
        salt=CONFIRM_SALT,
    )


def subscriber_from_token(token: str) -> Subscriber | None:
    """The reader a confirmation token names; None when forged, expired or out of date (the
    address changed, or the reader left and signed up again since).

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
    # Links sent before rounds existed carry none: they belong to the first round.
    pk, email, signup_round = data.get("s"), data.get("e"), data.get("r", 0)
    if not isinstance(pk, int) or not isinstance(email, str) or not isinstance(signup_round, int):
        return None
    return Subscriber.objects.filter(pk=pk, email=email, signup_round=signup_round).first()


def infographic_url(infographic: Infographic) -> str:
    """An absolute, signed link to this infographic, valid NEWSLETTER_INFOGRAPHIC_DAYS."""
    token = signing.dumps(infographic.pk, salt=INFOGRAPHIC_SALT)
    return settings.SITE_URL + reverse("newsletter:infographic", args=[token])


def infographic_from_token(token: str) -> Infographic | None:
    """The infographic a download link names; None when forged, expired or deleted."""
    max_age = dt.timedelta(days=settings.NEWSLETTER_INFOGRAPHIC_DAYS)
    try:
        pk = signing.loads(token, salt=INFOGRAPHIC_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired included
        return None
    if not isinstance(pk, int):
        return None
    return Infographic.objects.filter(pk=pk).exclude(file="").first()


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
            "infographic_url": infographic_url(infographic) if infographic else "",
            "infographic_days": settings.NEWSLETTER_INFOGRAPHIC_DAYS,
            "archive_url": settings.SITE_URL + reverse("newsletter:archive"),
            "coaching_url": settings.SITE_URL + reverse("coaching"),
            "unsubscribe_url": subscriber.unsubscribe_url,
        },
        list_headers(subscriber),
    )


def _reopen(subscriber: Subscriber, **fields: Any) -> None:
    """Make the reader pending again. Coming back after leaving starts a new sign-up round,
    which voids every confirmation link sent before."""
    if subscriber.status not in (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED):
        fields["signup_round"] = F("signup_round") + 1
    Subscriber.objects.filter(pk=subscriber.pk).update(status=Subscriber.Status.PENDING, **fields)
    subscriber.refresh_from_db()


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
        _reopen(subscriber, name=subscriber.name or name.strip())
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
def subscribe_account(*, user: User) -> Subscriber:
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
    _reopen(subscriber)
    confirm_subscriber(subscriber=subscriber)
    subscriber.refresh_from_db()
    return subscriber


@transaction.atomic
def unsubscribe(*, subscriber: Subscriber) -> None:
    """Stop all mail to this reader at once, including deliveries already queued: a batch
    checks the reader's status under a row lock right before it hands each message to the
    server, and holds the lock until the message is recorded (newsletter.sending), so this
    update waits for a message in flight and no message leaves after it commits."""
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


# What the provider's report does to the reader: a bounce or a refusal to send stops the
# newsletter (as a 550 from our own SMTP server does); a spam complaint or an unsubscribe
# at the provider unsubscribes at once (Gmail's and Yahoo's sender rules).
FEEDBACK_STATUS = {
    Subscriber.Feedback.BOUNCED: Subscriber.Status.BOUNCED,
    Subscriber.Feedback.REJECTED: Subscriber.Status.BOUNCED,
    Subscriber.Feedback.COMPLAINED: Subscriber.Status.UNSUBSCRIBED,
    Subscriber.Feedback.UNSUBSCRIBED: Subscriber.Status.UNSUBSCRIBED,
}


@transaction.atomic
def record_provider_feedback(*, email: str, event_type: str) -> bool:
    """Suppress an address the email provider reported (anymail's normalized event type);
    False when the event is of another kind or names no reader. An unsubscribed reader
    stays unsubscribed (a later bounce does not turn it into a bounce), and the report is
    kept on the reader for the admin either way."""
    if event_type not in FEEDBACK_STATUS:
        return False
    status = FEEDBACK_STATUS[Subscriber.Feedback(event_type)]
    now = timezone.now()
    readers = Subscriber.objects.select_for_update().filter(email=(email or "").strip().lower())
    reader = readers.first()
    if reader is None:
        return False
    fields: dict[str, Any] = {"feedback": event_type, "feedback_at": now}
    if reader.status != Subscriber.Status.UNSUBSCRIBED:
        fields["status"] = status
        if status == Subscriber.Status.UNSUBSCRIBED:
            fields["unsubscribed_at"] = now
    readers.update(**fields)
    # The kind of report only: the address is personal data and stays out of the logs.
    logger.info("TIFT reader %s suppressed after a provider report: %s", reader.pk, event_type)
    return True


def on_provider_event(
    sender: object, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any
) -> None:
    """Receiver of anymail's `tracking` signal (connected in NewsletterConfig.ready): the
    provider's webhook, authenticated by ANYMAIL WEBHOOK_SECRET, reports an event."""
    if isinstance(event.recipient, str) and event.recipient:
        record_provider_feedback(email=event.recipient, event_type=event.event_type)


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


def export_rows(queryset: QuerySet[Subscriber]) -> Iterable[list[str]]:
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
