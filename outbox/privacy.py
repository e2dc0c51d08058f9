"""The outbox's part of the data export (see accounts/privacy.py). Erasure forgets the
messages to the person last of all, in `accounts.services.delete_account`: the other apps'
erasure may queue some (an offer withdrawn, a seat released)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from outbox.services import messages_to

if TYPE_CHECKING:
    from accounts.models import User

DELETION_PLAN: dict[str, str] = {}


def export(user: User) -> dict[str, Any]:
    # Our record of the emails sent (or waiting) to them: which, when, whether it went.
    return {
        "emails": [
            {
                "email": m.name,
                "status": m.status,
                "created_at": m.created_at.isoformat() if m.created_at else None,
                "sent_at": m.done_at.isoformat() if m.done_at else None,
            }
            for m in messages_to(user.email.lower())
            if m.kind != m.Kind.TASK
        ],
    }
