"""Celery tasks of the Friday groups: thin adapters over zoomgroups.services."""

from celery import shared_task

from zoomgroups import services, zoom_sync


@shared_task(acks_late=True)
def send_due_reminders() -> int:
    """Run by beat every few minutes; each learner gets each reminder once (see services)."""
    return services.send_due_reminders()


@shared_task(acks_late=True)
def send_recording_notices(session_id: int) -> int:
    return services.send_recording_notices(session_id=session_id)


@shared_task(acks_late=True)
def send_schedule_change_notices(
    *, kind: str, cohort_id: int, topic: str, starts_at: str, old_starts_at: str | None = None
) -> int:
    """A session moved or was cancelled: tell its run's learners (see services)."""
    return services.send_schedule_change_notices(
        kind=kind,
        cohort_id=cohort_id,
        topic=topic,
        starts_at=starts_at,
        old_starts_at=old_starts_at,
    )


# Zoom (issue 26): queued through the outbox (after commit, again after a crash); see zoom_sync.


@shared_task(acks_late=True)
def sync_zoom_meeting(session_id: int) -> str:
    return zoom_sync.sync_meeting(session_id=session_id)


@shared_task(acks_late=True)
def sync_zoom_registrants(session_id: int) -> str:
    return zoom_sync.sync_registrants(session_id=session_id)


@shared_task(acks_late=True)
def delete_zoom_meeting(meeting_id: str) -> None:
    zoom_sync.delete_meeting(meeting_id=meeting_id)


@shared_task(acks_late=True)
def handle_zoom_event(event_id: int) -> str:
    return zoom_sync.handle_event(event_id=event_id)


@shared_task(acks_late=True)
def cancel_zoom_registrant(meeting_id: str, registrant_id: str, email: str) -> None:
    zoom_sync.cancel_registrant(meeting_id=meeting_id, registrant_id=registrant_id, email=email)


@shared_task
def purge_zoom_events() -> int:
    """Beat, daily: handled webhook events past their keeping time (see zoom_sync)."""
    return zoom_sync.purge_events()
