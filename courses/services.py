"""Enrolment use cases: seats, checkout, fulfilment, refunds, the waitlist, offers and aid.

Rules every function here keeps:
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
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from courses import payments
from courses.models import (
    Cohort,
    Course,
    Enrollment,
    FinancialAidRequest,
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


# Seats ------------------------------------------------------------------------------------


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


@transaction.atomic
def reserve_seat(
    *, cohort_id: int, user: User, offer: Offer | None = None, now: dt.datetime | None = None
) -> SeatHold:
    """Hold a seat for `user` while they pay. Reuses their live hold for this cohort."""
    now = now or timezone.now()
    cohort = _lock_cohort(cohort_id)
    if _has_access(user.pk, cohort):
        raise EnrolmentError("You are already enrolled in this run.")
    existing = (
        SeatHold.objects.select_for_update()
        .filter(cohort=cohort, user=user, state=SeatHold.State.ACTIVE)
        .first()
    )
    if existing and existing.is_holding(now) and existing.offer_id == (offer and offer.pk):
        return existing
    if existing:
        _close_hold(existing, SeatHold.State.EXPIRED, now)
    if offer is not None:
        offer = Offer.objects.select_for_update().get(pk=offer.pk)
        if not offer.is_open(now) or not offer.is_for(user) or offer.cohort_id != cohort.pk:
            raise EnrolmentError("This offer is no longer open.")
        # The offer's seat moves to the checkout hold: the count of held seats stays the same.
        offer.status = Offer.Status.CHECKOUT
        offer.save(update_fields=["status"])
        expires_at = max(now + hold_duration(), min(offer.expires_at, now + STRIPE_MAX_SESSION))
        amount = offer.price_cents
    else:
        if not cohort.is_open_for_enrolment(now):
            raise EnrolmentError("Enrolment for this run is not open.")
        if _free_seats(cohort, now) <= 0:
            raise SeatUnavailable("This run is full. You can join the waitlist.")
        expires_at = now + hold_duration()
        amount = cohort.price_cents
    return SeatHold.objects.create(
        cohort=cohort,
        user=user,
        offer=offer,
        expires_at=expires_at,
        amount_cents=amount,
        currency=cohort.currency,
        created_at=now,
    )


def start_checkout(
    *,
    cohort_id: int,
    user: User,
    success_url: str,
    cancel_url: str,
    offer: Offer | None = None,
) -> str:
    """Hold a seat and open a Stripe Checkout Session for it; returns the URL to pay at."""
    if not payments.is_enabled():
        raise EnrolmentError("Online payment is not configured on this site.")
    hold = reserve_seat(cohort_id=cohort_id, user=user, offer=offer)
    if hold.stripe_session_id and not hold.checkout_open():
        # Its Checkout closed while the seat is still held: settle it (it may have been paid
        # without a webhook) before starting another.
        try:
            reconcile_hold(hold_id=hold.pk)
        except payments.PaymentError:
            raise EnrolmentError(
                "We could not reach the payment provider. Please try again in a minute."
            ) from None
        hold = reserve_seat(cohort_id=cohort_id, user=user, offer=offer)
    if hold.stripe_session_id and hold.checkout_url:
        return hold.checkout_url
    cohort = hold.cohort
    closes_at = _claim_checkout_window(hold)
    try:
        session = payments.create_checkout_session(
            reference=f"hold-{hold.pk}",
            amount_cents=hold.amount_cents,
            currency=hold.currency,
            product_name=f"{cohort.course.title} — {cohort.name}",
            customer_email=user.email,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=closes_at,
            metadata={"hold_id": str(hold.pk), "cohort_id": str(cohort.pk)},
            allow_promotion_codes=offer is None,
        )
    except payments.PaymentError:
        logger.exception("Stripe checkout could not start for hold %s", hold.pk)
        release_hold(hold_id=hold.pk)
        raise EnrolmentError(
            "We could not reach the payment provider. Please try again in a minute."
        ) from None
    SeatHold.objects.filter(pk=hold.pk).update(
        stripe_session_id=session["id"], checkout_url=session.get("url") or ""
    )
    return session.get("url") or ""


def _claim_checkout_window(hold: SeatHold) -> dt.datetime:
    """When the hold's Checkout Session closes, fixed just before the session is created.

    Inside Stripe's window counted from now, and the hold is extended to cover it. Stored
    before the call, so that a second request for the same hold (a double click) sends the
    same parameters with the same idempotency key and gets the same session.
    """
    now = timezone.now()
    closes_at = min(max(hold.expires_at, now + STRIPE_MIN_SESSION), now + STRIPE_MAX_SESSION)
    # Whole seconds, rounded up, as Stripe keeps it.
    closes_at = closes_at.replace(microsecond=0) + dt.timedelta(seconds=closes_at.microsecond > 0)
    SeatHold.objects.filter(pk=hold.pk, checkout_expires_at=None).update(
        checkout_expires_at=closes_at, expires_at=closes_at + CHECKOUT_GRACE
    )
    claimed = SeatHold.objects.values_list("checkout_expires_at", flat=True).get(pk=hold.pk)
    return claimed or closes_at


def _close_hold(hold: SeatHold, state: str, now: dt.datetime) -> None:
    """Mark an active hold closed; a checkout hold from an offer gives the seat back to it."""
    hold.state = state
    hold.save(update_fields=["state", "updated_at"])
    if hold.offer_id:
        offer = Offer.objects.select_for_update().get(pk=hold.offer_id)
        if offer.status == Offer.Status.CHECKOUT:
            offer.status = Offer.Status.PENDING
            offer.save(update_fields=["status"])
            if not offer.is_open(now):
                _expire_offer(offer)
    if hold.stripe_session_id:
        from courses import tasks

        queue_task(tasks.expire_checkout_session, session_id=hold.stripe_session_id)
    _seat_changed(hold.cohort_id)


@transaction.atomic
def release_hold(
    *, hold_id: int, state: str = SeatHold.State.RELEASED, now: dt.datetime | None = None
) -> bool:
    now = now or timezone.now()
    cohort_id = SeatHold.objects.filter(pk=hold_id).values_list("cohort_id", flat=True).first()
    if cohort_id is None:
        return False
    _lock_cohort(cohort_id)
    hold = SeatHold.objects.select_for_update().get(pk=hold_id)
    if hold.state != SeatHold.State.ACTIVE:
        return False
    _close_hold(hold, state, now)
    return True


# Fulfilment (webhook and success page) ----------------------------------------------------


def _hold_id_for_session(session: dict[str, Any]) -> int | None:
    """The seat hold a Checkout Session pays for. Reads only: the caller locks it."""
    hold_id = (
        SeatHold.objects.filter(stripe_session_id=session["id"])
        .values_list("pk", flat=True)
        .first()
    )
    if hold_id is None:
        # The webhook can beat our own write of the session id: fall back to the metadata.
        reference = str((session.get("metadata") or {}).get("hold_id", ""))
        if reference.isdecimal() and len(reference) < 19:
            hold_id = (
                SeatHold.objects.filter(pk=int(reference), stripe_session_id=None)
                .values_list("pk", flat=True)
                .first()
            )
    return hold_id


@transaction.atomic
def fulfil_checkout(*, session: dict[str, Any], now: dt.datetime | None = None) -> Result:
    """Turn a paid Checkout Session into an enrolment — once, never over the cap, and never
    for a payment that was refunded or lost in a dispute, whatever order Stripe's events
    arrive in (the payment's row is locked first, so a refund is either seen here or sees the
    enrolment)."""
    now = now or timezone.now()
    payment_intent = str(session.get("payment_intent") or "")
    payment = _lock_payment(payment_intent) if payment_intent else None
    hold_id = _hold_id_for_session(session)
    if hold_id is None:
        return Result(Outcome.UNMATCHED, f"no seat hold for session {session['id']}")
    cohort = _lock_cohort(SeatHold.objects.values_list("cohort_id", flat=True).get(pk=hold_id))
    hold = SeatHold.objects.select_for_update().select_related("user").get(pk=hold_id)
    if hold.stripe_session_id != session["id"]:
        if hold.stripe_session_id is not None:
            return Result(Outcome.UNMATCHED, f"no seat hold for session {session['id']}")
        hold.stripe_session_id = session["id"]
        hold.save(update_fields=["stripe_session_id", "updated_at"])
    if session.get("payment_status") not in {"paid", "no_payment_required"}:
        return Result(Outcome.WAITING, "payment not complete yet")
    if hold.state == SeatHold.State.CONVERTED:
        enrollment = Enrollment.objects.filter(user=hold.user, cohort=cohort).first()
        return Result(Outcome.ALREADY_DONE, "already enrolled", enrollment)
    if hold.state in SETTLED_HOLD_STATES:
        return Result(Outcome.ALREADY_DONE, _hold_state(hold))
    hold.stripe_payment_intent = payment_intent
    hold.save(update_fields=["stripe_payment_intent", "updated_at"])
    amount = int(session.get("amount_total") or 0)
    if payment is not None:
        payment.hold = hold
        payment.save(update_fields=["hold", "updated_at"])
        if payment.taken_back:
            if hold.state == SeatHold.State.ACTIVE:
                _close_hold(hold, SeatHold.State.REFUNDED, now)
            else:
                hold.state = SeatHold.State.REFUNDED
                hold.save(update_fields=["state", "updated_at"])
            why = "refunded" if payment.refunded else "lost in a dispute"
            return Result(Outcome.REFUND_EARLY, f"payment was {why} before it was fulfilled")
    if _has_access(hold.user_id, cohort):
        return _not_honoured(hold, "already enrolled in this run", tell_person=False)
    offer = hold.offer
    # A lapsed checkout from a still-open offer pays for the seat that offer holds.
    offer_seat = offer is not None and offer.is_open(now) and offer.is_for(hold.user)
    if not hold.is_holding(now) and not offer_seat and _free_seats(cohort, now) <= 0:
        return _not_honoured(hold, "hold lapsed and the run is full")
    enrollment = _grant_seat(
        cohort=cohort,
        user=hold.user,
        status=Enrollment.Status.ACTIVE,
        source=Enrollment.Source.OFFER if offer else Enrollment.Source.STRIPE,
        amount_cents=amount,
        payment_intent=payment_intent,
        taking_up=offer,
    )
    if payment is not None and payment.dispute_status:
        # A dispute opened (or already won) before the checkout event came.
        enrollment.dispute_status = payment.dispute_status
        enrollment.save(update_fields=["dispute_status", "updated_at"])
    hold.state = SeatHold.State.CONVERTED
    hold.save()
    if offer is not None:
        _mark_offer_accepted(offer, hold.user, now)
    return Result(Outcome.ENROLLED, f"enrolment #{enrollment.pk}", enrollment)


def _hold_state(hold: SeatHold) -> str:
    return f"seat hold #{hold.pk}: {hold.get_state_display().lower()}"


def _not_honoured(hold: SeatHold, reason: str, *, tell_person: bool = True) -> Result:
    """A completed checkout we cannot turn into a seat: refund what was paid, or, when
    nothing was (a 100 % discount code has no payment to refund), cancel it and tell staff,
    who may raise the seat cap and enrol the person by hand."""
    from courses import tasks

    was_active = hold.state == SeatHold.State.ACTIVE
    hold.state = (
        SeatHold.State.REFUND_DUE if hold.stripe_payment_intent else SeatHold.State.CANCELLED
    )
    hold.save()
    if was_active and hold.offer_id:
        Offer.objects.filter(pk=hold.offer_id, status=Offer.Status.CHECKOUT).update(
            status=Offer.Status.EXPIRED
        )
    if hold.state == SeatHold.State.REFUND_DUE:
        queue_task(tasks.refund_late_payment, hold_id=hold.pk)
        return Result(Outcome.REFUNDED_LATE, reason)
    if tell_person:
        _tell_not_kept(hold)
        _tell_staff(hold, f"{reason}; nothing was paid, so nothing is refunded")
    return Result(Outcome.CANCELLED, f"{reason}; nothing was paid")


def _tell_not_kept(hold: SeatHold) -> None:
    cohort = Cohort.objects.select_related("course").get(pk=hold.cohort_id)
    user = User.objects.get(pk=hold.user_id)
    queue_email(
        "enrol_not_kept",
        [user.email],
        {
            "name": user.get_short_name(),
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "waitlist_link": site_link(reverse("courses:waitlist", args=[cohort.course.slug])),
        },
    )


def _staff_emails() -> list[str]:
    """Staff who manage enrolments (the Staff role, superusers); the contact inbox if none."""
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(content_type__app_label="courses", codename="change_seathold")
    emails = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=perm) | Q(groups__permissions__in=perm)
        )
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(emails) or [settings.CONTACT_EMAIL]


def _tell_staff(hold: SeatHold, reason: str) -> None:
    """A seat hold ended somewhere only a person can resolve: say so, with the admin link
    (the run and the reason; who it was is behind the link)."""
    cohort = Cohort.objects.select_related("course").get(pk=hold.cohort_id)
    logger.warning("Seat hold %s needs staff: %s", hold.pk, reason)
    context = {
        "hold_id": hold.pk,
        "run": str(cohort),
        "state": hold.get_state_display(),
        "reason": reason,
        "link": site_link(reverse("admin:courses_seathold_change", args=[hold.pk])),
    }
    for email in _staff_emails():
        queue_email("enrol_needs_staff", [email], context)


def refund_late_payment(*, hold_id: int) -> bool:
    """Refund a payment we could not honour, then tell the person. Safe to call again.

    A refund that can never happen ends in a terminal state and staff are told, so that no
    sweep retries it forever.
    """
    hold = SeatHold.objects.select_related("user", "cohort__course").get(pk=hold_id)
    if hold.state != SeatHold.State.REFUND_DUE:
        return False
    if not hold.stripe_payment_intent:
        # Only a checkout that paid nothing has no payment (fulfilment now cancels those).
        _settle_unrefundable(hold, SeatHold.State.CANCELLED, "no payment to refund")
        return False
    try:
        payments.refund_payment(
            payment_intent=hold.stripe_payment_intent, reference=f"hold-{hold.pk}"
        )
    except payments.PaymentRefused as exc:
        logger.warning("Stripe refused to refund seat hold %s: %s", hold.pk, exc)
        _settle_unrefundable(hold, SeatHold.State.UNREFUNDED, "Stripe refused the refund")
        return False
    updated = SeatHold.objects.filter(pk=hold.pk, state=SeatHold.State.REFUND_DUE).update(
        state=SeatHold.State.REFUNDED
    )
    if updated:
        queue_email(
            "enrol_late_refund",
            [hold.user.email],
            {
                "name": hold.user.get_short_name(),
                "course_title": hold.cohort.course.title,
                "cohort_name": hold.cohort.name,
                "amount": money(hold.amount_cents, hold.currency),
                "waitlist_link": site_link(
                    reverse("courses:waitlist", args=[hold.cohort.course.slug])
                ),
            },
        )
    return bool(updated)


def _settle_unrefundable(hold: SeatHold, state: str, reason: str) -> None:
    if SeatHold.objects.filter(pk=hold.pk, state=SeatHold.State.REFUND_DUE).update(state=state):
        hold.state = state
        if state == SeatHold.State.CANCELLED:
            _tell_not_kept(hold)
        _tell_staff(hold, reason)


@transaction.atomic
def end_access(*, enrollment_id: int, status: str, now: dt.datetime | None = None) -> bool:
    """Refund or cancel: access ends at once and the seat goes to the waitlist."""
    now = now or timezone.now()
    cohort_id = Enrollment.objects.filter(pk=enrollment_id).values_list("cohort_id", flat=True)[0]
    cohort = _lock_cohort(cohort_id)
    enrollment = Enrollment.objects.select_for_update().select_related("user").get(pk=enrollment_id)
    if not enrollment.grants_access:
        return False
    enrollment.status = status
    enrollment.ended_at = now
    enrollment.save()
    queue_email(
        "enrol_ended",
        [enrollment.user.email],
        {
            "name": enrollment.user.get_short_name(),
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "refunded": status == Enrollment.Status.REFUNDED,
        },
    )
    _seat_changed(cohort.pk)
    return True


@transaction.atomic
def record_charge_refund(*, charge: dict[str, Any]) -> Result:
    """charge.refunded: a full refund ends access, or, before fulfilment, stops it."""
    payment_intent = str(charge.get("payment_intent") or "")
    if not payment_intent:
        return Result(Outcome.UNMATCHED, "charge without a payment intent")
    amount = int(charge.get("amount") or 0)
    full = bool(charge.get("refunded")) or int(charge.get("amount_refunded") or 0) >= amount
    payment = _lock_payment(payment_intent)
    if full and not payment.refunded:
        payment.refunded = True
        payment.save(update_fields=["refunded", "updated_at"])
    enrollment = Enrollment.objects.filter(stripe_payment_intent=payment_intent).first()
    if enrollment is None:
        hold = SeatHold.objects.filter(stripe_payment_intent=payment_intent).first()
        if hold is not None and hold.state != SeatHold.State.ACTIVE:
            return Result(Outcome.ALREADY_DONE, _hold_state(hold))
        # Before the checkout event: recorded on the payment, so fulfilment will not enrol.
        return Result(Outcome.REFUND_EARLY if full else Outcome.PARTIAL_REFUND)
    if not full:
        return Result(Outcome.PARTIAL_REFUND, "", enrollment)
    if end_access(enrollment_id=enrollment.pk, status=Enrollment.Status.REFUNDED):
        # A refund made in Stripe's dashboard: ours are logged with who made them (admin).
        AuditEvent.record(
            action=AuditEvent.Action.ENROLMENT_REFUNDED,
            obj=enrollment,
            detail="refunded at Stripe (charge.refunded)",
        )
        return Result(Outcome.ACCESS_ENDED, "refunded", enrollment)
    return Result(Outcome.ALREADY_DONE, f"enrolment is {enrollment.status}", enrollment)


@transaction.atomic
def record_dispute(*, dispute: dict[str, Any], closed: bool) -> Result:
    """charge.dispute.created / closed: a lost dispute ends access, or, before fulfilment,
    stops it."""
    payment_intent = str(dispute.get("payment_intent") or "")
    if not payment_intent:
        return Result(Outcome.UNMATCHED, "dispute without a payment intent")
    status = str(dispute.get("status") or "")
    outcome = "lost" if status == "lost" else "won" if status == "won" else status or "closed"
    payment = _lock_payment(payment_intent)
    # A late "created" must not reopen a dispute that has already closed.
    if closed or not payment.dispute_status:
        payment.dispute_status = outcome[:20] if closed else "open"
        payment.save(update_fields=["dispute_status", "updated_at"])
    found = (
        Enrollment.objects.filter(stripe_payment_intent=payment_intent)
        .values_list("pk", "cohort_id")
        .first()
    )
    if found is None:
        return Result(Outcome.DISPUTE, f"dispute {payment.dispute_status}, before fulfilment")
    _lock_cohort(found[1])
    enrollment = Enrollment.objects.select_for_update().get(pk=found[0])
    if closed or not enrollment.dispute_status:
        enrollment.dispute_status = payment.dispute_status
        enrollment.save(update_fields=["dispute_status", "updated_at"])
    if not closed:
        return Result(Outcome.DISPUTE, "dispute opened", enrollment)
    if outcome == "lost" and end_access(
        enrollment_id=enrollment.pk, status=Enrollment.Status.CANCELLED
    ):
        AuditEvent.record(
            action=AuditEvent.Action.ENROLMENT_CANCELLED,
            obj=enrollment,
            detail="dispute lost at Stripe",
        )
        return Result(Outcome.ACCESS_ENDED, "dispute lost", enrollment)
    return Result(Outcome.DISPUTE, f"dispute {outcome}", enrollment)


def handle_session_closed(*, session: dict[str, Any]) -> Result:
    """checkout.session.expired or async_payment_failed: free the seat if still held."""
    hold = SeatHold.objects.filter(stripe_session_id=session.get("id")).first()
    if hold is None:
        return Result(Outcome.UNMATCHED, "no seat hold for this session")
    if release_hold(hold_id=hold.pk, state=SeatHold.State.EXPIRED):
        return Result(Outcome.RELEASED)
    return Result(Outcome.ALREADY_DONE, f"hold is {hold.state}")


def process_event(
    *, event: dict[str, Any], source: str = StripeEvent.Source.WEBHOOK
) -> tuple[StripeEvent, bool]:
    """Record and act on a Stripe event exactly once. Returns (row, is_new).

    `event` has passed `payments.checked_event` (the webhook's `verified_event` does that).
    """
    obj = event["data"]["object"]
    created = event.get("created")
    with transaction.atomic():
        _set_lock_timeout()
        try:
            with transaction.atomic():
                record = StripeEvent.objects.create(
                    event_id=event["id"][:255],
                    type=event["type"][:100],
                    object_id=str(obj.get("id") or "")[:255],
                    payment_intent=str(obj.get("payment_intent") or "")[:255],
                    livemode=bool(event.get("livemode")),
                    source=source,
                    stripe_created=(
                        dt.datetime.fromtimestamp(created, tz=dt.UTC)
                        if isinstance(created, int)
                        else None
                    ),
                )
        except IntegrityError:
            return StripeEvent.objects.get(event_id=event["id"][:255]), False
        result = _dispatch(event["type"], obj)
        if result.outcome == Outcome.ENROLLED and result.enrollment and not record.payment_intent:
            record.payment_intent = result.enrollment.stripe_payment_intent
        record.outcome = result.outcome
        record.detail = result.detail[:500]
        record.enrollment = result.enrollment
        record.save()
    return record, True


def record_malformed_event(*, event_id: str, kind: str, reason: str) -> StripeEvent:
    """Keep a signed event we could not read where staff look (admin → Stripe webhook events)."""
    record, _ = StripeEvent.objects.get_or_create(
        event_id=event_id[:255],
        defaults={"type": kind[:100], "outcome": Outcome.MALFORMED, "detail": reason[:500]},
    )
    return record


def _dispatch(kind: str, obj: dict[str, Any]) -> Result:
    if kind in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        return fulfil_checkout(session=obj)
    if kind in {"checkout.session.expired", "checkout.session.async_payment_failed"}:
        return handle_session_closed(session=obj)
    if kind == "charge.refunded":
        return record_charge_refund(charge=obj)
    if kind in {"charge.dispute.created", "charge.dispute.closed"}:
        return record_dispute(dispute=obj, closed=kind.endswith("closed"))
    return Result(Outcome.IGNORED, "not an event we act on")


def fulfil_from_success_page(*, hold: SeatHold) -> Result:
    """The success page may fulfil before the webhook arrives: ask Stripe, then fulfil."""
    if hold.state == SeatHold.State.CONVERTED or not hold.stripe_session_id:
        return Result(Outcome.ALREADY_DONE)
    session = payments.retrieve_checkout_session(hold.stripe_session_id)
    return fulfil_checkout(session=session)


# Reconciliation: what Stripe knows and the webhook did not tell us ------------------------

HANDLED_EVENTS = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
]


def _is_paid(session: dict[str, Any]) -> bool:
    return session.get("status") == "complete" and session.get("payment_status") in {
        "paid",
        "no_payment_required",
    }


def _apply_paid_session(session: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Fulfil a paid session found by asking Stripe, recorded as a "reconciliation" event."""
    event = {
        "id": f"reconcile-{session.get('id')}",
        "type": "checkout.session.completed",
        "livemode": bool(session.get("livemode")),
        "data": {"object": session},
    }
    return process_event(
        event=payments.checked_event(event), source=StripeEvent.Source.RECONCILIATION
    )


def reconcile_hold(*, hold_id: int, now: dt.datetime | None = None) -> Result | None:
    """Settle a hold whose checkout has closed, after asking Stripe how it ended: a session
    paid without a webhook is fulfilled (or refunded, if the seat is gone); otherwise the
    seat is released. None while there is nothing to do yet. Raises PaymentError when Stripe
    cannot be asked (the hold then waits for the next sweep; lapsed, it holds no seat)."""
    now = now or timezone.now()
    hold = SeatHold.objects.filter(pk=hold_id, state=SeatHold.State.ACTIVE).first()
    if hold is None:
        return None
    lapsed = not hold.is_holding(now)
    if hold.stripe_session_id and payments.is_enabled():
        session = payments.retrieve_checkout_session(hold.stripe_session_id)
        if session.get("status") == "open":
            if not lapsed:
                return None  # Stripe has not closed it yet (clocks differ)
            # Closed first, so that it cannot be paid once the seat has gone.
            session = payments.expire_checkout_session(
                hold.stripe_session_id
            ) or payments.retrieve_checkout_session(hold.stripe_session_id)
        if _is_paid(session):
            record, _ = _apply_paid_session(session)
            return Result(record.outcome, record.detail, record.enrollment)
        if session.get("status") == "open" and not lapsed:
            return None
    elif not lapsed:
        return None
    if release_hold(hold_id=hold.pk, state=SeatHold.State.EXPIRED, now=now):
        return Result(Outcome.RELEASED)
    return None


# Recorded, but nothing to report: the site had already done it another way.
NOTHING_DONE = {Outcome.ALREADY_DONE, Outcome.IGNORED}


def _describe(record: StripeEvent) -> str:
    detail = f" ({record.detail})" if record.detail else ""
    return f"{record.type} {record.object_id}: {record.get_outcome_display()}{detail}"


def reconcile_stripe(*, since: dt.datetime) -> tuple[list[str], int]:
    """Apply what happened at Stripe since `since` that the site missed (the endpoint was
    down, its secret rotated, a deploy gap): Stripe's events, through the webhook's own code,
    then any paid Checkout Session whose seat hold is still unsettled. Idempotent.

    Returns a line per change it made (every event applied is also recorded, with source
    "reconciliation") and the number of items that failed (logged; run it again).
    """
    lines: list[str] = []
    failed = 0
    # Stripe lists newest first; apply in the order things happened.
    events = list(payments.list_events(since=since, types=HANDLED_EVENTS))
    events.reverse()
    events.sort(key=lambda event: event.get("created") or 0)
    for raw in events:
        try:
            event = payments.checked_event(raw)
            record, is_new = process_event(event=event, source=StripeEvent.Source.RECONCILIATION)
        except payments.MalformedEvent as exc:
            record_malformed_event(event_id=exc.event_id, kind=exc.type, reason=exc.reason)
            lines.append(f"{exc.event_id}: malformed ({exc.reason})")
            continue
        except Exception:  # one bad item must not stop the rest
            logger.exception("Reconciliation could not apply Stripe event %s", raw.get("id"))
            failed += 1
            continue
        if is_new and record.outcome not in NOTHING_DONE:
            lines.append(_describe(record))
    for session in payments.list_checkout_sessions(since=since):
        if not _is_paid(session) or not isinstance(session.get("id"), str):
            continue
        hold_id = _hold_id_for_session(session)
        if (
            hold_id is None
            or SeatHold.objects.filter(pk=hold_id, state__in=SETTLED_HOLD_STATES).exists()
        ):
            continue
        try:
            record, is_new = _apply_paid_session(session)
        except Exception:
            logger.exception("Reconciliation could not apply seat hold %s", hold_id)
            failed += 1
            continue
        if is_new and record.outcome not in NOTHING_DONE:
            lines.append(_describe(record))
    return lines, failed


# Staff actions ----------------------------------------------------------------------------


@transaction.atomic
def enrol_by_staff(
    *, cohort_id: int, user: User, complimentary: bool = False, amount_cents: int = 0
) -> Enrollment:
    now = timezone.now()
    cohort = _lock_cohort(cohort_id)
    if _has_access(user.pk, cohort):
        raise EnrolmentError(f"{user.email} is already enrolled in {cohort}.")
    own_hold = SeatHold.objects.filter(cohort=cohort, user=user).holding(now).first()
    # A seat their offer holds is theirs to take (`_grant_seat` then withdraws the offer).
    own_offer = Offer.objects.filter(cohort=cohort, email__iexact=user.email).holding(now)
    if own_hold is None and not own_offer.exists() and _free_seats(cohort, now) <= 0:
        raise SeatUnavailable(f"{cohort} is full. Raise its seat cap first.")
    if own_hold is not None:
        own_hold.state = SeatHold.State.RELEASED
        own_hold.save(update_fields=["state", "updated_at"])
    return _grant_seat(
        cohort=cohort,
        user=user,
        status=Enrollment.Status.COMPED if complimentary else Enrollment.Status.ACTIVE,
        source=Enrollment.Source.STAFF,
        amount_cents=amount_cents,
    )


def refund_enrollment(*, enrollment_id: int) -> None:
    """Refund through Stripe, then end access (the charge.refunded webhook then finds it done)."""
    enrollment = Enrollment.objects.get(pk=enrollment_id)
    if not enrollment.grants_access:
        raise EnrolmentError(f"Enrolment #{enrollment.pk} is already {enrollment.status}.")
    if not enrollment.stripe_payment_intent:
        raise EnrolmentError(f"Enrolment #{enrollment.pk} was not paid online; cancel it instead.")
    if not payments.is_enabled():
        raise EnrolmentError("Stripe is not configured.")
    try:
        payments.refund_payment(
            payment_intent=enrollment.stripe_payment_intent,
            reference=f"enrollment-{enrollment.pk}",
        )
    except payments.PaymentError as exc:
        raise EnrolmentError(f"Stripe refused the refund: {exc}") from exc
    end_access(enrollment_id=enrollment.pk, status=Enrollment.Status.REFUNDED)


# Waitlist, offers and financial aid --------------------------------------------------------


def _next_position(course: Course) -> int:
    """The end of the course's line; call with the course row locked (`_lock_course`), or two
    people joining at once read the same end."""
    top = WaitlistEntry.objects.filter(course=course).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


@transaction.atomic
def join_waitlist(
    *,
    course: Course,
    cohort: Cohort | None,
    name: str,
    email: str,
    message: str = "",
    user: User | None = None,
) -> bool:
    """Add a person to the waitlist. True when they were added (and a confirmation is sent)."""
    email = email.strip().lower()
    _lock_course(course.pk)
    entry = (
        WaitlistEntry.objects.select_for_update()
        .filter(course=course, cohort=cohort, email=email)
        .first()
    )
    if entry is not None:
        if entry.status not in {WaitlistEntry.Status.LAPSED, WaitlistEntry.Status.REMOVED}:
            return False
        entry.status = WaitlistEntry.Status.WAITING
        entry.position = _next_position(course)
        entry.name, entry.message = name, message
        entry.save()
    else:
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(
                    course=course,
                    cohort=cohort,
                    name=name,
                    email=email,
                    message=message,
                    user=user if user and user.is_authenticated else None,
                    position=_next_position(course),
                )
        except IntegrityError:
            return False
    queue_email(
        "waitlist_joined",
        [email],
        {
            "name": name,
            "course_title": course.title,
            "cohort_name": cohort.name if cohort else "",
            "leave_link": site_link(entry.get_leave_url()),
        },
    )
    if cohort is not None:
        _seat_changed(cohort.pk)
    return True


def _send_offer_email(offer: Offer, cohort: Cohort) -> None:
    queue_email(
        "offer_made",
        [offer.email],
        {
            "name": offer.name,
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "price": money(offer.price_cents, offer.currency) if offer.price_cents else "",
            "free": offer.is_free,
            "aid": offer.aid_request_id is not None,
            "expires_at": offer.expires_at.strftime("%A %-d %B %Y, %H:%M UTC"),
            "link": site_link(offer.get_absolute_url()),
            "leave_link": (
                site_link(offer.waitlist_entry.get_leave_url()) if offer.waitlist_entry else ""
            ),
        },
    )


def _create_offer(
    cohort: Cohort,
    *,
    name: str,
    email: str,
    price_cents: int,
    now: dt.datetime,
    entry: WaitlistEntry | None = None,
    aid_request: FinancialAidRequest | None = None,
) -> Offer:
    offer = Offer.objects.create(
        cohort=cohort,
        waitlist_entry=entry,
        aid_request=aid_request,
        name=name,
        email=email,
        price_cents=price_cents,
        currency=cohort.currency,
        expires_at=now + offer_duration(),
        created_at=now,
    )
    if entry is not None:
        entry.status = WaitlistEntry.Status.OFFERED
        entry.save(update_fields=["status"])
    _send_offer_email(offer, cohort)
    return offer


def _lists_of(cohort: Cohort) -> Q:
    """The waitlists `cohort`'s seats are offered from: its own, and its course's next run."""
    return Q(cohort=cohort) | Q(cohort__isnull=True, course_id=cohort.course_id)


def _waiting_for(cohort: Cohort):
    """Who is next for a seat in `cohort`, in order. A person who already holds an offer in
    any run of the trimester (from their other place in line, or for financial aid) waits:
    two offers to one person would hold a seat nobody else can take."""
    holds_an_offer = Exists(
        _offers_in_trimester(cohort.course_id, OuterRef("email")).filter(
            status__in=Offer.LIVE_STATUSES
        )
    )
    return (
        WaitlistEntry.objects.filter(_lists_of(cohort), status=WaitlistEntry.Status.WAITING)
        .exclude(holds_an_offer)
        .order_by("position", "created_at", "pk")
    )


@transaction.atomic
def offer_free_seats(*, cohort_id: int, now: dt.datetime | None = None) -> list[Offer]:
    """Offer every free seat of an open cohort to the waitlist, in order."""
    now = now or timezone.now()
    cohort = _lock_cohort(cohort_id)
    if not cohort.is_open_for_enrolment(now):
        return []
    _lock_course(cohort.course_id)
    offers = []
    free = _free_seats(cohort, now)
    while free > 0:
        entry = _waiting_for(cohort).select_for_update().first()
        if entry is None:
            break
        if (
            Enrollment.objects.filter(cohort=cohort, user__email__iexact=entry.email)
            .granting_access()
            .exists()
        ):
            entry.status = WaitlistEntry.Status.ENROLLED
            entry.save(update_fields=["status"])
            continue
        offers.append(
            _create_offer(
                cohort,
                name=entry.name,
                email=entry.email,
                price_cents=cohort.price_cents,
                now=now,
                entry=entry,
            )
        )
        free -= 1
    return offers


@transaction.atomic
def offer_seat_by_hand(*, entry_id: int, cohort_id: int | None = None) -> Offer:
    """Staff offer a seat to one waitlist entry now, out of turn."""
    now = timezone.now()
    entry = WaitlistEntry.objects.get(pk=entry_id)
    target = cohort_id or entry.cohort_id
    if target is None:
        target = (
            Cohort.objects.filter(course_id=entry.course_id, status=Cohort.Status.OPEN)
            .order_by("starts_on")
            .values_list("pk", flat=True)
            .first()
        )
    if target is None:
        raise EnrolmentError(f"No open run of {entry.course.title} to offer a seat in.")
    cohort = _lock_cohort(target)
    _lock_course(cohort.course_id)
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if entry.status in {WaitlistEntry.Status.OFFERED, WaitlistEntry.Status.ENROLLED}:
        raise EnrolmentError(f"{entry.name} already has an offer or a seat.")
    live = _offers_in_trimester(cohort.course_id, entry.email).filter(
        status__in=Offer.LIVE_STATUSES
    )
    if live.exists():
        raise EnrolmentError(f"{entry.name} already has an offer for {cohort.course.title}.")
    if _free_seats(cohort, now) <= 0:
        raise SeatUnavailable(f"{cohort} has no free seat. Raise its seat cap first.")
    return _create_offer(
        cohort,
        name=entry.name,
        email=entry.email,
        price_cents=cohort.price_cents,
        now=now,
        entry=entry,
    )


def _expire_offer(offer: Offer) -> None:
    """The offer's time is up: its seat passes on, and the person is told."""
    offer.status = Offer.Status.EXPIRED
    offer.save(update_fields=["status"])
    cohort = Cohort.objects.select_related("course").get(pk=offer.cohort_id)
    if offer.waitlist_entry_id:
        WaitlistEntry.objects.filter(
            pk=offer.waitlist_entry_id, status=WaitlistEntry.Status.OFFERED
        ).update(status=WaitlistEntry.Status.LAPSED)
        # Nor is the run offered to them again from their other place in line.
        WaitlistEntry.objects.filter(
            _lists_of(cohort), email__iexact=offer.email, status=WaitlistEntry.Status.WAITING
        ).update(status=WaitlistEntry.Status.LAPSED)
    aid = offer.aid_request_id is not None
    again = "courses:aid_request" if aid else "courses:waitlist"
    queue_email(
        "offer_lapsed",
        [offer.email],
        {
            "name": offer.name,
            "course_title": cohort.course.title,
            "cohort_name": cohort.name,
            "aid": aid,
            "link": site_link(reverse(again, args=[cohort.course.slug])),
        },
    )


def _mark_offer_accepted(offer: Offer, user: User, now: dt.datetime) -> None:
    offer.status = Offer.Status.ACCEPTED
    offer.accepted_by = user
    offer.accepted_at = now
    offer.save(update_fields=["status", "accepted_by", "accepted_at"])
    if offer.waitlist_entry_id:
        WaitlistEntry.objects.filter(pk=offer.waitlist_entry_id).update(
            status=WaitlistEntry.Status.ENROLLED
        )


def _withdraw(offer: Offer, cohort: Cohort) -> None:
    """Take back an offer in `cohort`: its seat goes to the next person at once, and the
    person leaves the lists it came from, so that seat is not offered to them again."""
    WaitlistEntry.objects.filter(
        _lists_of(cohort), email__iexact=offer.email, status__in=WaitlistEntry.ON_THE_LIST
    ).update(status=WaitlistEntry.Status.REMOVED)
    _pass_on(offer)


@transaction.atomic
def withdraw_offer(*, offer_id: int) -> bool:
    """Staff take back a pending offer (see `_withdraw`)."""
    cohort_id = Offer.objects.values_list("cohort_id", flat=True).get(pk=offer_id)
    cohort = _lock_cohort(cohort_id)
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    if offer.status != Offer.Status.PENDING:
        return False
    _withdraw(offer, cohort)
    return True


@transaction.atomic
def leave_waitlist(*, entry_id: int) -> bool:
    """The person takes themselves off one waitlist (by their link: no account needed). An
    offer made to them from it is withdrawn (`_withdraw`). False if they were not on it."""
    course_id = WaitlistEntry.objects.values_list("course_id", flat=True).get(pk=entry_id)
    # Its offer may be in any run of the course: lock them all (in id order), then the offer,
    # then the entry, as everywhere (see the top).
    runs = {
        run.pk: run
        for run in Cohort.objects.select_for_update().filter(course_id=course_id).order_by("pk")
    }
    offers = list(
        Offer.objects.select_for_update().filter(
            waitlist_entry_id=entry_id, cohort_id__in=list(runs), status__in=Offer.LIVE_STATUSES
        )
    )
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
    if not entry.is_on_the_list:
        return False
    for offer in offers:
        _withdraw(offer, runs[offer.cohort_id])
    entry.status = WaitlistEntry.Status.REMOVED
    entry.save(update_fields=["status"])
    course = Course.objects.get(pk=course_id)
    queue_email(
        "waitlist_left",
        [entry.email],
        {
            "name": entry.name,
            "course_title": course.title,
            "cohort_name": entry.cohort.name if entry.cohort else "",
            "link": site_link(reverse("courses:waitlist", args=[course.slug])),
        },
    )
    return True


@transaction.atomic
def accept_free_offer(*, offer: Offer, user: User, now: dt.datetime | None = None) -> Enrollment:
    now = now or timezone.now()
    cohort = _lock_cohort(offer.cohort_id)
    _lock_course(cohort.course_id)  # before the offer: the lock order (see the top)
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not offer.is_for(user):
        raise EnrolmentError("This offer was made to someone else.")
    if not offer.is_open(now) or not offer.is_free:
        raise EnrolmentError("This offer is no longer open.")
    if _has_access(user.pk, cohort):
        raise EnrolmentError("You are already enrolled in this run.")
    enrollment = _grant_seat(
        cohort=cohort,
        user=user,
        status=Enrollment.Status.COMPED,
        source=Enrollment.Source.OFFER,
        taking_up=offer,
    )
    _mark_offer_accepted(offer, user, now)
    return enrollment


@transaction.atomic
def request_aid(
    *, course: Course, name: str, email: str, can_pay: str, message: str, user: User | None
) -> FinancialAidRequest:
    aid = FinancialAidRequest.objects.create(
        course=course,
        name=name,
        email=email.strip().lower(),
        can_pay=can_pay,
        message=message,
        user=user if user and user.is_authenticated else None,
    )
    queue_email("aid_received", [aid.email], {"name": name, "course_title": course.title})
    return aid


@transaction.atomic
def grant_aid(*, aid_id: int, price_cents: int | None = None) -> Offer:
    """Staff grant a reduced price (or 0: a free place): a personal offer link goes out."""
    now = timezone.now()
    aid = FinancialAidRequest.objects.get(pk=aid_id)
    price = aid.granted_price_cents if price_cents is None else price_cents
    if price is None:
        raise EnrolmentError(f"Set a granted price on “{aid}” first (0 for a free place).")
    cohort_id = aid.cohort_id or (
        Cohort.objects.filter(course_id=aid.course_id, status=Cohort.Status.OPEN)
        .order_by("starts_on")
        .values_list("pk", flat=True)
        .first()
    )
    if cohort_id is None:
        raise EnrolmentError(f"Choose the run for “{aid}” first: none is open.")
    cohort = _lock_cohort(cohort_id)
    _lock_course(cohort.course_id)
    aid = FinancialAidRequest.objects.select_for_update().get(pk=aid_id)
    if aid.status == FinancialAidRequest.Status.GRANTED:
        raise EnrolmentError(f"“{aid}” is already granted.")
    # One live offer per person and trimester: this one replaces a waitlist offer they hold
    # (whose seat, if in this run, it takes over); they keep their place in line.
    held = list(
        _offers_in_trimester(cohort.course_id, aid.email)
        .filter(status__in=Offer.LIVE_STATUSES)
        .select_for_update()
    )
    if any(offer.status == Offer.Status.CHECKOUT for offer in held):
        raise EnrolmentError(f"{aid.email} is paying for a seat in {cohort.course.title} now.")
    for offer in held:
        _pass_on(offer)
        WaitlistEntry.objects.filter(offers=offer, status=WaitlistEntry.Status.OFFERED).update(
            status=WaitlistEntry.Status.WAITING
        )
    if _free_seats(cohort, now) <= 0:
        raise SeatUnavailable(f"{cohort} has no free seat. Raise its seat cap first.")
    aid.status = FinancialAidRequest.Status.GRANTED
    aid.granted_price_cents = price
    aid.cohort = cohort
    aid.save()
    return _create_offer(
        cohort, name=aid.name, email=aid.email, price_cents=price, now=now, aid_request=aid
    )


# The sweeper ------------------------------------------------------------------------------


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Settle holds whose checkout closed (asking Stripe), close lapsed offers, retry pending
    refunds, offer free seats. Idempotent. An item that fails (a lock timeout, Stripe down)
    is logged and counted as "failed", and the sweep carries on: the next one retries it."""
    from courses import tasks

    now = now or timezone.now()
    counts = {"holds": 0, "reconciled": 0, "offers": 0, "refunds": 0, "offered": 0, "failed": 0}
    for hold_id in SeatHold.objects.checkout_closed(now).values_list("pk", flat=True):
        try:
            result = reconcile_hold(hold_id=hold_id, now=now)
        except Exception:
            _sweep_failed(counts, "seat hold", hold_id)
            continue
        if result is not None:
            counts["holds" if result.outcome == Outcome.RELEASED else "reconciled"] += 1
    for offer_id, cohort_id in Offer.objects.lapsed(now).values_list("pk", "cohort_id"):
        try:
            with transaction.atomic():
                _lock_cohort(cohort_id)
                offer = Offer.objects.select_for_update().get(pk=offer_id)
                if offer.status == Offer.Status.PENDING and not offer.is_open(now):
                    _expire_offer(offer)
                    counts["offers"] += 1
        except Exception:
            _sweep_failed(counts, "offer", offer_id)
    for hold_id in SeatHold.objects.filter(state=SeatHold.State.REFUND_DUE).values_list(
        "pk", flat=True
    ):
        tasks.refund_late_payment.delay(hold_id)
        counts["refunds"] += 1
    for cohort_id in Cohort.objects.open_for_enrolment(now).values_list("pk", flat=True):
        try:
            counts["offered"] += len(offer_free_seats(cohort_id=cohort_id, now=now))
        except Exception:
            _sweep_failed(counts, "run", cohort_id)
    return counts


def _sweep_failed(counts: dict[str, int], what: str, pk: int) -> None:
    logger.exception("Enrolment sweep: %s %s failed; the next sweep retries it", what, pk)
    counts["failed"] += 1
