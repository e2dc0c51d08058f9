"""TIFT's Celery tasks: thin adapters over newsletter.sending, taking ids only."""

from celery import Task, shared_task

from newsletter import sending


@shared_task
def send_due_issues() -> list[int]:
    """Beat, every minute: start the scheduled issues whose time has come."""
    return sending.send_due_issues()


@shared_task
def start_issue(issue_id: int) -> bool:
    return sending.start_issue(issue_id=issue_id)


@shared_task(bind=True, max_retries=5, acks_late=True)
def send_batch(self: Task, issue_id: int, first_id: int, last_id: int) -> object:
    """Send one range of deliveries over one SMTP connection; retry temporary failures with
    backoff (the rows went back to the queue, so the retry claims them again: all the rest
    of the batch after a dropped connection, or only the readers refused for now)."""
    result = sending.send_batch(issue_id=issue_id, first_id=first_id, last_id=last_id)
    if result.transient is not None:
        countdown = min(60 * 2**self.request.retries, 3600)
        if self.request.is_eager:
            # Inline mode (no broker): hand the retry back so Celery runs it at once.
            return self.retry(exc=result.transient, countdown=countdown, throw=False)
        raise self.retry(exc=result.transient, countdown=countdown)
    return result.sent


@shared_task
def recover_stalled_sends() -> int:
    """Beat, every five minutes: re-queue what a killed worker left and resume the send."""
    return sending.recover_stalled()
