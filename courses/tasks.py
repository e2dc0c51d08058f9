"""Celery tasks for enrolment: thin adapters that take ids and call courses.services."""

import logging

from celery import shared_task

from courses import payments, services

logger = logging.getLogger(__name__)


@shared_task
def offer_free_seats(cohort_id: int) -> int:
    """A seat may have come free in this cohort: offer it to the next person waiting."""
    return len(services.offer_free_seats(cohort_id=cohort_id))


@shared_task
def expire_checkout_session(session_id: str) -> None:
    """Close the Stripe session of a lapsed hold so it can no longer be paid."""
    if not payments.is_enabled():
        return
    try:
        payments.expire_checkout_session(session_id)
    except payments.PaymentError:
        # Harmless if it stays open: a late payment is refunded, never enrolled over the cap.
        logger.warning("Could not expire Stripe session %s", session_id)


@shared_task
def refund_late_payment(hold_id: int) -> None:
    """Refund a payment that arrived for a seat we no longer had; the sweeper retries."""
    try:
        services.refund_late_payment(hold_id=hold_id)
    except payments.PaymentError:
        logger.exception("Refund for seat hold %s failed; the sweeper will retry", hold_id)


@shared_task
def sweep_enrolment() -> dict:
    """Every few minutes: lapsed holds and offers pass on, pending refunds are retried."""
    return services.sweep()
