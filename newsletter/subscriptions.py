"""TIFT readers: signing up (double opt-in), confirming, unsubscribing, importing and
exporting."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lib import email as mail
from newsletter.models import Infographic, Subscriber

CONFIRM_SALT = "newsletter.confirm"


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
    mail.send_email.delay_on_commit(
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
    mail.send_email.delay_on_commit(
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
