"""What every enrolment use case shares: the errors it raises, its durations, the row locks
taken in a fixed order, the seat count under the cohort's lock, and granting a seat.

Rules every function in `courses.services` keeps:
- Anything that takes or frees a seat locks the cohort row first (`_lock_cohort`), then counts
  under that lock. Anything about a Stripe payment locks its `Payment` row before that
  (`_lock_payment`), so every event about one payment runs one at a time. The lock order is
  always payment → run (cohort) → seat hold → course → offer → waitlist entry → enrolment
  (each where needed), so two services cannot deadlock; a row is changed only once every row
  before it in that order is locked. The course row (the trimester, `_lock_course`)
  serialises its waitlist: positions in line, and one live offer per person across its runs.
- A lock wait is bounded (`ENROLMENT_LOCK_TIMEOUT_MS`): behind a stuck transaction a service
  fails fast with EnrolmentBusy ("try again in a minute") instead of queueing every checkout.
- No network call happens while a lock is held: Stripe is called before or after the
  transaction, or from a Celery task queued through the outbox (`queue_task`).
- Fulfilment is idempotent: the webhook and the success page call the same function and the
  second call finds the work done.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import OuterRef, QuerySet
from django.urls import reverse

from accounts.models import User
from courses.models import (
    Cohort,
    Course,
    Enrollment,
    Offer,
    Payment,
    SeatHold,
    StripeEvent,
    WaitlistEntry,
)
from outbox.services import queue_email, queue_task

logger = logging.getLogger(__name__)

Outcome = StripeEvent.Outcome
# Stripe wants a Checkout Session's expires_at 30 minutes to 24 hours after it creates the
# session. Our clock, the request's latency and the client's retries are not Stripe's: aim
# inside that window by a couple of minutes at each end.
STRIPE_MIN_SESSION = dt.timedelta(minutes=32)
STRIPE_MAX_SESSION = dt.timedelta(hours=23, minutes=55)
# A hold outlives its Checkout Session by this much: a payment made in the last second still
# finds its seat when the webhook comes, and the sweeper (every five minutes) asks Stripe about
# a session whose webhook never came before the seat can go to anyone else.
CHECKOUT_GRACE = dt.timedelta(minutes=10)
# Holds in these states are settled: no event about their checkout changes them any more.
SETTLED_HOLD_STATES = {
    SeatHold.State.CONVERTED,
    SeatHold.State.REFUND_DUE,
    SeatHold.State.REFUNDED,
    SeatHold.State.CANCELLED,
    SeatHold.State.UNREFUNDED,
}


class EnrolmentError(Exception):
    """A request we cannot fulfil; the message is safe to show to the person."""


class SeatUnavailable(EnrolmentError):
    pass


class EnrolmentBusy(EnrolmentError):
    """A row we need stayed locked by another transaction past the lock timeout."""


@dataclasses.dataclass
class Result:
    outcome: str
    detail: str = ""
    enrollment: Enrollment | None = None


def hold_duration() -> dt.timedelta:
    return dt.timedelta(minutes=max(settings.ENROLMENT_HOLD_MINUTES, 30))


def offer_duration() -> dt.timedelta:
    return dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS)


def site_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def money(cents: int, currency: str) -> str:
    return Cohort(price_cents=cents, currency=currency).price_display


def _set_lock_timeout() -> None:
    """Bound every lock wait of the current transaction (PostgreSQL; SET LOCAL ends with it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(settings.ENROLMENT_LOCK_TIMEOUT_MS)}")


def _busy(exc: OperationalError) -> EnrolmentError | OperationalError:
    """EnrolmentBusy for a lock timeout (or a deadlock), else the error itself."""
    code = getattr(exc.__cause__, "sqlstate", None) or getattr(exc.__cause__, "pgcode", None)
    if code not in {"55P03", "40P01"}:  # lock_not_available, deadlock_detected
        return exc
    logger.warning("Enrolment gave up waiting for a lock (%s)", code)
    return EnrolmentBusy(
        "Many people are enrolling right now and we could not complete this. "
        "Please try again in a minute."
    )


def _lock_cohort(cohort_id: int) -> Cohort:
    _set_lock_timeout()
    try:
        return Cohort.objects.select_for_update().select_related("course").get(pk=cohort_id)
    except OperationalError as exc:
        raise _busy(exc) from exc


def _lock_payment(payment_intent: str) -> Payment:
    """The payment's row, created by whichever event mentions it first, locked: first of all."""
    _set_lock_timeout()
    try:
        Payment.objects.bulk_create([Payment(payment_intent=payment_intent)], ignore_conflicts=True)
        return Payment.objects.select_for_update().get(payment_intent=payment_intent)
    except OperationalError as exc:
        raise _busy(exc) from exc


def _lock_course(course_id: int) -> None:
    Course.objects.select_for_update().only("pk").get(pk=course_id)


def _free_seats(cohort: Cohort, now: dt.datetime) -> int:
    """Free seats in a cohort, counted afresh (`with_seat_counts`); call with the cohort row
    locked."""
    taken, held = Cohort.objects.only("pk").with_seat_counts(now).get(pk=cohort.pk).seat_counts()
    return cohort.seat_cap - taken - held


def _has_access(user_id: int, cohort: Cohort) -> bool:
    return Enrollment.objects.filter(user_id=user_id, cohort=cohort).granting_access().exists()


def _grant_seat(
    *,
    cohort: Cohort,
    user: User,
    status: str,
    source: str,
    amount_cents: int = 0,
    payment_intent: str = "",
    taking_up: Offer | None = None,
) -> Enrollment:
    """Create or reactivate the person's enrolment; the caller has checked the seat.

    The person then leaves every waitlist of the trimester, and their other offers for it
    (all but `taking_up`, the one this seat comes from) are withdrawn: the seats those held
    go to the next people at once.
    """
    _lock_course(cohort.course_id)
    others = _offers_in_trimester(cohort.course_id, user.email).filter(
        status__in=Offer.LIVE_STATUSES
    )
    if taking_up is not None:
        others = others.exclude(pk=taking_up.pk)
    for offer in others.select_for_update():
        _pass_on(offer)
    WaitlistEntry.objects.filter(
        course_id=cohort.course_id,
        email__iexact=user.email,
        status__in=WaitlistEntry.ON_THE_LIST,
    ).update(status=WaitlistEntry.Status.ENROLLED)
    enrollment, created = Enrollment.objects.get_or_create(
        user=user,
        cohort=cohort,
        defaults={
            "status": status,
            "source": source,
            "amount_paid_cents": amount_cents,
            "currency": cohort.currency,
            "stripe_payment_intent": payment_intent,
        },
    )
    if not created:
        enrollment.status = status
        enrollment.source = source
        enrollment.amount_paid_cents = amount_cents
        enrollment.currency = cohort.currency
        enrollment.stripe_payment_intent = payment_intent
        enrollment.dispute_status = ""
        enrollment.ended_at = None
        enrollment.save()
    queue_email(
        "enrol_confirmed",
        [user.email],
        {
            "name": user.get_short_name(),
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "amount": money(amount_cents, cohort.currency) if amount_cents else "",
            "complimentary": status == Enrollment.Status.COMPED,
            "link": site_link(reverse("courses:enrolled", args=[cohort.pk])),
        },
    )
    return enrollment


def _seat_changed(cohort_id: int) -> None:
    """A seat may have come free: offer it to the waitlist once this transaction commits."""
    from courses import tasks

    queue_task(tasks.offer_free_seats, cohort_id=cohort_id)


def _offers_in_trimester(course_id: int, email: str | OuterRef) -> QuerySet[Offer]:
    """The offers made to `email` in any run of the course. Filtered without a join, so that
    `select_for_update()` locks only the offers."""
    return Offer.objects.filter(
        cohort_id__in=Cohort.objects.filter(course_id=course_id).values("pk"),
        email__iexact=email,
    )


def _pass_on(offer: Offer) -> None:
    """Withdraw a live offer: the seat it holds goes to the next person at once. (An offer at
    checkout leaves its seat to the checkout's own hold, which frees it when it closes.)

    Freeing a seat is safe without its run's lock: a count taken meanwhile under that lock
    sees one seat fewer than there is, and `_seat_changed` counts again after the commit."""
    offer.status = Offer.Status.WITHDRAWN
    offer.save(update_fields=["status"])
    _seat_changed(offer.cohort_id)
