"""Recording, sending and re-sending outbox messages (see outbox.models).

Call `queue_email`, `queue_rendered_email` or `queue_task` inside the transaction of the
change that causes the message. The row commits with that change; once it has, the message
is handed to a worker (`tasks.deliver`), or, without a broker, sent inline. If the broker
cannot take it, the row simply waits for the re-driver: the saved change is never answered
with an error because a notification could not be queued.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from outbox.models import KEEP_DONE, KEEP_FAILED, Message

logger = logging.getLogger(__name__)

# The re-driver stops taking new messages after this long, well before beat's next run and
# the task time limit; what is left is due again at once.
DELIVER_DUE_SECONDS = 45


def queue_email(
    name: str,
    to: list[str],
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
    *,
    send_by: dt.datetime | None = None,
) -> Message:
    """Send the template triplet `name` once the current transaction commits. `context`
    must be JSON: ids, names and links, never private text. A message still unsent at
    `send_by` (a reminder of a session that started) is dropped."""
    message = Message.new(
        kind=Message.Kind.EMAIL,
        name=name,
        to=list(to),
        payload=context,
        headers=headers or {},
        send_by=send_by,
    )
    return _queue(message)


def queue_rendered_email(
    *,
    subject: str,
    text: str,
    to: list[str],
    html: str = "",
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
    name: str = "",
) -> Message:
    """An email rendered elsewhere (allauth's); `name` says which, for the admin."""
    payload = {"subject": subject, "text": text, "html": html, "from_email": from_email}
    message = Message.new(
        kind=Message.Kind.RENDERED,
        name=name or "email",
        to=list(to),
        payload=payload,
        headers=headers or {},
    )
    return _queue(message)


def queue_task(task: Task, **kwargs: Any) -> Message:
    """Run the Celery task `task` with `kwargs` (JSON: ids and strings) once the current
    transaction commits, and again after a failure, until it ran once to the end."""
    return _queue(Message.new(kind=Message.Kind.TASK, name=task.name, payload=kwargs))


def _queue(message: Message) -> Message:
    message.save()
    transaction.on_commit(functools.partial(hand_over, message.pk))
    return message


def hand_over(message_id: int) -> None:
    """Give a committed message to a worker. Never raises: with the broker down the row
    stays pending and the re-driver sends it once the broker is back."""
    from outbox import tasks

    try:
        # No retries here: the caller is a request, and the re-driver is the retry.
        tasks.deliver.apply_async(args=[message_id], retry=False)
    except Exception as exc:
        logger.warning(
            "Outbox: message %s was not handed to a worker (%s); the re-driver will send it",
            message_id,
            type(exc).__name__,
        )


def deliver(*, message_id: int) -> bool:
    """Send one message (or run one job) if it is still pending; True if it was done now.

    The row stays locked while it is sent and is marked sent in the same transaction, so a
    second attempt — the broker redelivering the task, the re-driver — waits for the outcome
    or skips it, and a message is never sent twice on purpose. (A worker killed after the
    mail server accepted a message and before the commit sends it once more: at least
    once, never zero times.)"""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=Message.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        return _attempt(message)


def deliver_due(*, seconds: float = DELIVER_DUE_SECONDS) -> int:
    """Beat, every minute: send what is due — messages the broker could not take, retries
    after a failure, and anything a killed worker left. Returns how many were done."""
    started = time.monotonic()
    done = 0
    while time.monotonic() - started < seconds:
        with transaction.atomic():
            message = (
                Message.objects.due(timezone.now())
                .select_for_update(skip_locked=True)
                .order_by("next_attempt_at", "pk")
                .first()
            )
            if message is None:
                break
            done += _attempt(message)
    return done


def _attempt(message: Message) -> bool:
    """Call with the row locked, inside a transaction."""
    if message.send_by is not None and timezone.now() > message.send_by:
        message.record_too_late()
        logger.info("Outbox: message %s (%s) is too late; dropped", message.pk, message.name)
        return False
    try:
        # A job's own writes roll back with it, so that a retry starts from scratch.
        with transaction.atomic():
            message.run()
    except Exception as exc:
        message.record_failure(exc, timezone.now())
        logger.warning(
            "Outbox: message %s (%s) failed, attempt %s: %s; %s",
            message.pk,
            message.name,
            message.attempts,
            message.last_error,
            "given up" if message.status == Message.Status.FAILED else "will retry",
            exc_info=not isinstance(exc, OSError),  # a bug's traceback helps; a timeout's not
        )
        return False
    message.record_done(timezone.now())
    return True


def send_again(*, messages: QuerySet[Message]) -> int:
    """Staff's "Send again" for failed messages: pending again, with a fresh retry window."""
    now = timezone.now()
    count = 0
    with transaction.atomic():
        for message in messages.filter(status=Message.Status.FAILED).select_for_update():
            message.reset(now)
            transaction.on_commit(functools.partial(hand_over, message.pk))
            count += 1
    return count


def messages_to(email: str) -> list[Message]:
    """Every message to `email` (any case), oldest first: for the person's data export."""
    address = email.lower()
    candidates = Message.objects.filter(to__icontains=address).order_by("created_at", "pk")
    return [m for m in candidates if address in {a.lower() for a in m.to}]


def forget_address(*, email: str) -> int:
    """Account deletion: forget every message to `email`; those still waiting are not sent."""
    ids = [m.pk for m in messages_to(email)]
    deleted, _ = Message.objects.filter(pk__in=ids).delete()
    return deleted


def purge(*, now: dt.datetime | None = None) -> int:
    """Daily: forget sent messages after KEEP_DONE and failed ones after KEEP_FAILED."""
    now = now or timezone.now()
    deleted, _ = Message.objects.filter(
        Q(status=Message.Status.DONE, done_at__lt=now - KEEP_DONE)
        | Q(status=Message.Status.FAILED, created_at__lt=now - KEEP_FAILED)
    ).delete()
    return deleted
