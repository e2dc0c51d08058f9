"""What staff do by hand: enrol someone, refund an enrolment."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from courses import payments
from courses.models import Enrollment, Offer, SeatHold
from courses.services.seats import (
    EnrolmentError,
    SeatUnavailable,
    _free_seats,
    _grant_seat,
    _has_access,
    _lock_cohort,
)
from courses.services.stripe_events import end_access

logger = logging.getLogger(__name__)


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
