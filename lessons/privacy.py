"""Lessons' part of the data export and account erasure (see accounts/privacy.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from lessons.models import Note, Progress

DELETION_PLAN = {
    "lessons.Progress.user": "erased",
    "lessons.Note.user": "erased",
}


def export(user: User) -> dict[str, Any]:
    return {
        "lesson_progress": [
            {
                "course": p.lesson.course.title,
                "lesson": p.lesson.title,
                "chapter_done_at": iso(p.chapter_done_at),
                "video_done_at": iso(p.video_done_at),
                "podcast_done_at": iso(p.podcast_done_at),
                "completed_at": iso(p.completed_at),
                "last_seen_at": iso(p.last_seen_at),
                "video_position_seconds": p.video_position,
                "podcast_position_seconds": p.podcast_position,
            }
            for p in Progress.objects.filter(user=user)
            .select_related("lesson__course")
            .order_by("lesson__course__order", "lesson__order")
        ],
        "lesson_notes": [
            {
                "course": n.lesson.course.title,
                "lesson": n.lesson.title,
                "text": n.text,
                "created_at": iso(n.created_at),
                "updated_at": iso(n.updated_at),
            }
            for n in Note.objects.filter(user=user)
            .select_related("lesson__course")
            .order_by("lesson__course__order", "lesson__order")
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    Progress.objects.filter(user=user).delete()
    Note.objects.filter(user=user).delete()
