"""Bookmarks ("save for later", issue 24): a learner keeps lessons, Q&A library entries and
forum topics to come back to; the dashboard lists them.

A bookmark points at exactly one thing. What it points at is shown only while its owner may
still see it, by the thing's own `visible_to` (a refund, a circle left, a topic hidden):
`Bookmark.objects.shown_to(user)` is the only way to list them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from forum.models import Topic
from lessons.models import Lesson
from qa.models import LibraryEntry

if TYPE_CHECKING:
    from accounts.models import User

# kind in URLs and forms → (field of Bookmark, model, what the learner calls it)
KINDS: dict[str, tuple[str, type[models.Model], str]] = {
    "lesson": ("lesson", Lesson, "Lesson"),
    "library": ("library_entry", LibraryEntry, "Q&A library"),
    "topic": ("topic", Topic, "Forum topic"),
}


def visible_targets(kind: str, user: User | object) -> models.QuerySet[models.Model]:
    """The things of `kind` that `user` may open (the pages' own access rule)."""
    model = KINDS[kind][1]
    return model.objects.visible_to(user)  # type: ignore[attr-defined, no-any-return]


class BookmarkQuerySet(models.QuerySet["Bookmark"]):
    def shown_to(self, user: User) -> BookmarkQuerySet:
        """`user`'s bookmarks of things they may still open, newest first, with what the
        dashboard shows of each (titles and what their links need, not the texts)."""
        visible = Q()
        for kind, (field, _model, _label) in KINDS.items():
            visible |= Q(**{f"{field}__in": visible_targets(kind, user).values("pk")})
        return (
            self.filter(visible, user=user)
            .select_related("lesson__course", "library_entry", "topic")
            .only(
                "id",
                "created_at",
                "lesson__id",
                "lesson__title",
                "lesson__slug",
                "lesson__course__id",
                "lesson__course__slug",
                "lesson__course__title",
                "library_entry__id",
                "library_entry__title",
                "topic__id",
                "topic__title",
            )
            .order_by("-created_at", "-id")
        )


class Bookmark(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, null=True, blank=True)
    library_entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, null=True, blank=True)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BookmarkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(lesson__isnull=False, library_entry__isnull=True, topic__isnull=True)
                    | Q(lesson__isnull=True, library_entry__isnull=False, topic__isnull=True)
                    | Q(lesson__isnull=True, library_entry__isnull=True, topic__isnull=False)
                ),
                name="bookmark_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "lesson"],
                condition=Q(lesson__isnull=False),
                name="bookmark_one_per_lesson",
            ),
            models.UniqueConstraint(
                fields=["user", "library_entry"],
                condition=Q(library_entry__isnull=False),
                name="bookmark_one_per_library_entry",
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=Q(topic__isnull=False),
                name="bookmark_one_per_topic",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"Bookmark #{self.pk}"

    @property
    def kind(self) -> str:
        return next(kind for kind, (field, _m, _l) in KINDS.items() if getattr(self, f"{field}_id"))

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind][2]

    @property
    def target(self) -> Lesson | LibraryEntry | Topic:
        target: Lesson | LibraryEntry | Topic | None = (
            self.lesson or self.library_entry or self.topic
        )
        assert target is not None
        return target
