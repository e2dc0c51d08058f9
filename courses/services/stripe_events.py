"""What Stripe tells us (webhook events): fulfilment, late payments, refunds, disputes and
closed sessions, each recorded once by its event id."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import User
from audit.models import AuditEvent
from courses import payments
from courses.models import Cohort, Enrollment, Offer, SeatHold, StripeEvent
from courses.services.holds import close_hold, release_hold
from courses.services.seats import (
    SETTLED_HOLD_STATES,
    Outcome,
    Result,
    _free_seats,
    _grant_seat,
    _has_access,
    _lock_cohort,
    _lock_payment,
    _seat_changed,
    _set_lock_timeout,
    money,
    site_link,
)
from courses.services.waitlist import mark_offer_accepted
from outbox.services import queue_email, queue_task

logger = logging.getLogger(__name__)


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
                close_hold(hold, SeatHold.State.REFUNDED, now)
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
        mark_offer_accepted(offer, hold.user, now)
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
    return roles.staff_emails_with("courses.change_seathold")


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
