"""What bookmarks keep about a person (see accounts/privacy.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from bookmarks.models import Bookmark

DELETION_PLAN = {
    "bookmarks.Bookmark.user": "erased",
}


def export(user: User) -> dict[str, Any]:
    # Every bookmark the person made, also of things they may no longer open: it is their data.
    return {
        "saved_for_later": [
            {"kind": b.kind_label, "title": str(b.target), "saved_at": iso(b.created_at)}
            for b in Bookmark.objects.filter(user=user)
            .select_related("lesson", "library_entry", "topic")
            .order_by("created_at", "id")
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    Bookmark.objects.filter(user=user).delete()
