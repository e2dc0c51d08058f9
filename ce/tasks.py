"""Celery tasks of ce: thin adapters."""

from celery import shared_task

from ce import privacy


@shared_task(acks_late=True)
def purge_expired_certificates() -> int:
    """Monthly: certificates of deleted accounts past CE_RECORD_YEARS (ce/privacy.py)."""
    return privacy.purge_expired()
