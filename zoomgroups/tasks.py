"""Celery tasks of the Friday groups: thin adapters over zoomgroups.services."""

from celery import shared_task

from zoomgroups import services


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    """Run by beat every few minutes; each learner gets each reminder once (see services)."""
    return services.send_due_reminders()


@shared_task(acks_late=True)
def send_recording_notices(session_id: int) -> int:
    return services.send_recording_notices(session_id=session_id)
