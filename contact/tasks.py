"""Celery tasks of the contact form: thin adapters over contact.services."""

from celery import shared_task

from contact import services


@shared_task(acks_late=True)
def purge_old_messages() -> int:
    """Beat, daily: contact messages past their retention (README, privacy page)."""
    return services.purge_old_messages()
