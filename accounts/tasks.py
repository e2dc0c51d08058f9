"""Celery tasks of accounts: thin adapters over accounts.services."""

from celery import shared_task

from accounts import services


@shared_task(acks_late=True)
def purge_expired_payment_records() -> int:
    """Monthly: closed accounts' payment records past the legal keeping time (see services)."""
    return services.purge_expired_payment_records()
