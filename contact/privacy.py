"""Contact-form messages in the data export and account erasure (see accounts/privacy.py):
those sent while signed in, and those sent from the account's address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q

from contact.models import ContactMessage

if TYPE_CHECKING:
    from accounts.models import User

DELETION_PLAN: dict[str, str] = {"contact.ContactMessage.user": "erased"}


def _messages_of(user: User) -> Any:
    return ContactMessage.objects.filter(Q(user=user) | Q(email=user.email.lower()))


def page_context() -> dict[str, Any]:
    return {"contact_retention_days": settings.CONTACT_RETENTION_DAYS}


def export(user: User) -> dict[str, Any]:
    return {
        "contact_messages": [
            {
                "sent_at": m.created_at.isoformat(),
                "topic": m.get_topic_display(),
                "name": m.name,
                "email": m.email,
                "message": m.message,
                "status": m.get_status_display(),
            }
            for m in _messages_of(user).order_by("created_at")
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    _messages_of(user).delete()
