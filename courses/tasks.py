"""Celery tasks for enrolment: thin adapters that take ids and call courses.services."""

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

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
def sweep_enrolment() -> dict[str, int]:
    """Every few minutes: lapsed holds and offers pass on, pending refunds are retried."""
    return services.sweep()


@shared_task
def reconcile_stripe(days: int = 3) -> int:
    """Daily: apply what Stripe knows and a missed webhook did not tell us (Stripe retries a
    webhook for three days, so three days back covers what it may still be retrying)."""
    if not payments.is_enabled():
        return 0
    lines, failed = services.reconcile_stripe(since=timezone.now() - dt.timedelta(days=days))
    for line in lines:
        logger.info("Stripe reconciliation: %s", line)
    if failed:
        logger.warning(
            "Stripe reconciliation: %s item(s) failed; they are retried tomorrow", failed
        )
    return len(lines)
