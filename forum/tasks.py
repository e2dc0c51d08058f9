"""Forum background work: thin adapters that take ids and call forum.notifications."""

from celery import shared_task

from forum import notifications


@shared_task(acks_late=True)
def notify_subscribers(post_id: int) -> int:
    """Emails followers who chose "right away" about a new post (idempotent per post)."""
    return notifications.notify_subscribers(post_id=post_id)


@shared_task(acks_late=True)
def notify_mentions(post_id: int) -> int:
    return notifications.notify_mentions(post_id=post_id)


@shared_task(acks_late=True)
def notify_moderators(report_id: int) -> int:
    return notifications.notify_moderators(report_id=report_id)


@shared_task(acks_late=True)
def send_digest(user_id: int) -> bool:
    return notifications.send_digest(user_id=user_id)


@shared_task(acks_late=True)
def send_daily_digests() -> int:
    """Daily (beat): one digest task per member on the digest who has something new."""
    user_ids = notifications.digest_recipients()
    for user_id in user_ids:
        send_digest.delay(user_id)
    return len(user_ids)
