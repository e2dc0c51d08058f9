from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from lessons.models import Lesson, Note, Progress

if TYPE_CHECKING:
    from accounts.models import User


def _progress_for_update(user: User, lesson: Lesson) -> Progress:
    """The learner's progress row for the lesson, locked; created on first use."""
    progress = Progress.objects.select_for_update().filter(user=user, lesson=lesson).first()
    if progress is not None:
        return progress
    try:
        with transaction.atomic():
            return Progress.objects.create(user=user, lesson=lesson)
    except IntegrityError:  # created by a parallel request a moment ago
        return Progress.objects.select_for_update().get(user=user, lesson=lesson)


# Reloading a lesson within this time writes nothing: a write (and the wait for its commit)
# on every view made lesson pages the slowest reads of the site under load (issue 9).
VISIT_RESOLUTION = dt.timedelta(minutes=1)


def record_visit(*, user: User, lesson: Lesson) -> Progress:
    """Remember that the learner opened the lesson ("continue where you left off")."""
    now = timezone.now()
    progress = Progress.objects.filter(user=user, lesson=lesson).first()
    if progress is None:
        with transaction.atomic():
            return _progress_for_update(user, lesson)
    if progress.last_seen_at < now - VISIT_RESOLUTION:
        Progress.objects.filter(pk=progress.pk).update(last_seen_at=now)
        progress.last_seen_at = now
    return progress


@transaction.atomic
def record_material(*, user: User, lesson: Lesson, material: str, done: bool = True) -> Progress:
    """Mark one material of the lesson as used (or not); completion follows the materials.

    Idempotent: marking a material done twice keeps the first time.
    """
    if not lesson.has_material(material):
        raise ValueError(f"The lesson has no {material}.")
    now = timezone.now()
    progress = _progress_for_update(user, lesson)
    field = f"{material}_done_at"
    if done:
        setattr(progress, field, getattr(progress, field) or now)
    else:
        setattr(progress, field, None)
    progress.last_seen_at = now
    progress.refresh_completion(lesson, now)
    progress.save()
    return progress


def save_note(*, user: User, lesson: Lesson, text: str) -> Note | None:
    """Keep the learner's note on the lesson as it is now; an empty note is deleted."""
    if not text.strip():
        Note.objects.filter(user=user, lesson=lesson).delete()
        return None
    note, _ = Note.objects.update_or_create(user=user, lesson=lesson, defaults={"text": text})
    return note


# Longer than any lesson's video or episode: a position past it is not a position.
MAX_POSITION_SECONDS = 24 * 60 * 60


def save_position(*, user: User, lesson: Lesson, material: str, seconds: int) -> None:
    """Remember where the learner stopped the lesson's video or podcast (any device)."""
    if material not in ("video", "podcast") or not lesson.has_material(material):
        raise ValueError(f"The lesson has no {material} player.")
    field = f"{material}_position"
    if not Progress.objects.filter(user=user, lesson=lesson).update(**{field: seconds}):
        with transaction.atomic():
            progress = _progress_for_update(user, lesson)
            setattr(progress, field, seconds)
            progress.save(update_fields=[field])
