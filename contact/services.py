"""The contact form's use cases: receiving a message (and telling staff that one came, never
what it says) and forgetting messages past their retention."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import User
from contact.models import ContactMessage
from outbox.services import queue_email


def staff_recipients() -> list[str]:
    """Who handles contact messages (the Staff and Instructor roles, superusers); the contact
    inbox if nobody does."""
    return roles.staff_emails_with("contact.change_contactmessage")


@transaction.atomic
def receive_message(
    *, name: str, email: str, topic: str, message: str, user: User | None = None
) -> ContactMessage:
    """Store a message and email staff a notice with its topic and admin link: no name,
    address or text (those stay in the admin, behind its permissions)."""
    contact_message = ContactMessage.objects.create(
        name=name,
        email=email.strip().lower(),
        topic=topic,
        message=message,
        user=user if user is not None and user.is_authenticated else None,
    )
    admin_path = reverse("admin:contact_contactmessage_change", args=[contact_message.pk])
    queue_email(
        "contact_received",
        staff_recipients(),
        {
            "topic": contact_message.get_topic_display(),
            "admin_link": f"{settings.SITE_URL}{admin_path}",
        },
    )
    return contact_message


def purge_old_messages(*, now: dt.datetime | None = None) -> int:
    """Beat, daily: delete messages past CONTACT_RETENTION_DAYS. Returns how many."""
    deleted, _ = ContactMessage.objects.past_retention(now or timezone.now()).delete()
    return deleted
