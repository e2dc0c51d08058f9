"""Stripe Checkout: opening a session for a held seat, and the success page's fulfilment."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from accounts.models import User
from courses import payments
from courses.models import Offer, SeatHold
from courses.services.holds import release_hold, reserve_seat
from courses.services.reconcile import reconcile_hold
from courses.services.seats import (
    CHECKOUT_GRACE,
    STRIPE_MAX_SESSION,
    STRIPE_MIN_SESSION,
    EnrolmentError,
    Outcome,
    Result,
)
from courses.services.stripe_events import fulfil_checkout

logger = logging.getLogger(__name__)


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


def fulfil_from_success_page(*, hold: SeatHold) -> Result:
    """The success page may fulfil before the webhook arrives: ask Stripe, then fulfil."""
    if hold.state == SeatHold.State.CONVERTED or not hold.stripe_session_id:
        return Result(Outcome.ALREADY_DONE)
    session = payments.retrieve_checkout_session(hold.stripe_session_id)
    return fulfil_checkout(session=session)
