"""The newsletter's part of the data export and account erasure (see accounts/privacy.py):
subscriptions are by address, so the account's address finds them."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from newsletter.models import Subscriber

DELETION_PLAN: dict[str, str] = {}


def export(user: User) -> dict[str, Any]:
    return {
        "newsletter": [
            {
                "email": s.email,
                "name": s.name,
                "status": s.status,
                "subscribed_at": iso(s.created_at),
                "confirmed_at": iso(s.confirmed_at),
                "unsubscribed_at": iso(s.unsubscribed_at),
                "provider_report": s.feedback,
                "provider_report_at": iso(s.feedback_at),
            }
            for s in Subscriber.objects.filter(email=user.email.lower())
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    Subscriber.objects.filter(email=user.email.lower()).delete()
