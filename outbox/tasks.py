"""Outbox tasks: thin adapters over outbox.services."""

from typing import Any

from celery import shared_task

from outbox import services
from outbox.models import Message


@shared_task(acks_late=True)
def deliver(message_id: int) -> bool:
    return services.deliver(message_id=message_id)


@shared_task
def deliver_due() -> int:
    """Beat, every minute: what the broker could not take, retries, what a killed worker left."""
    return services.deliver_due()


@shared_task
def purge() -> int:
    return services.purge()


# The names emails were queued under before the outbox. A message such a task left in the
# broker across a deploy is recorded in the outbox and sent from there, not lost as an
# unknown task.


@shared_task(name="lib.email.send_email", acks_late=True)
def legacy_send_email(
    name: str, to: list[str], context: dict[str, Any], headers: dict[str, str] | None = None
) -> bool:
    message = Message.new(
        kind=Message.Kind.EMAIL, name=name, to=to, payload=context, headers=headers or {}
    )
    message.save()
    return services.deliver(message_id=message.pk)


@shared_task(name="lib.email.send_message", acks_late=True)
def legacy_send_message(
    *,
    subject: str,
    text: str,
    to: list[str],
    html: str = "",
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> bool:
    payload = {"subject": subject, "text": text, "html": html, "from_email": from_email}
    message = Message.new(
        kind=Message.Kind.RENDERED, name="email", to=to, payload=payload, headers=headers or {}
    )
    message.save()
    return services.deliver(message_id=message.pk)
