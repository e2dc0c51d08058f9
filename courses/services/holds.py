"""Seat holds: reserving a seat for someone about to pay, and letting it go."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from courses.models import Offer, SeatHold
from courses.services.seats import (
    STRIPE_MAX_SESSION,
    EnrolmentError,
    SeatUnavailable,
    _free_seats,
    _has_access,
    _lock_cohort,
    _seat_changed,
    hold_duration,
)
from courses.services.waitlist import expire_offer
from outbox.services import queue_task

logger = logging.getLogger(__name__)


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
        close_hold(existing, SeatHold.State.EXPIRED, now)
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


def close_hold(hold: SeatHold, state: str, now: dt.datetime) -> None:
    """Mark an active hold closed; a checkout hold from an offer gives the seat back to it."""
    hold.state = state
    hold.save(update_fields=["state", "updated_at"])
    if hold.offer_id:
        offer = Offer.objects.select_for_update().get(pk=hold.offer_id)
        if offer.status == Offer.Status.CHECKOUT:
            offer.status = Offer.Status.PENDING
            offer.save(update_fields=["status"])
            if not offer.is_open(now):
                expire_offer(offer)
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
    close_hold(hold, state, now)
    return True
