"""Q&A pieces other pages include: library links on a lesson, recent answers on the
dashboard, and the waiting count on the admin index."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import template

from courses.models import is_member
from qa.models import LibraryEntry, Question, can_see_all_questions

if TYPE_CHECKING:
    from accounts.models import User
    from lessons.models import Lesson

register = template.Library()


def _user(context: template.Context) -> object:
    request = context.get("request")
    return getattr(request, "user", None) or context.get("user")


@register.simple_tag(takes_context=True)
def library_entries_for_lesson(
    context: template.Context, lesson: Lesson | None, limit: int = 5
) -> list[LibraryEntry]:
    """Published library entries about `lesson`, for members (an empty list otherwise)."""
    if lesson is None or not is_member(_user(context)):
        return []
    return list(LibraryEntry.objects.published().for_lesson(lesson).only("id", "title")[:limit])


@register.simple_tag(takes_context=True)
def recent_answers(context: template.Context, limit: int = 3) -> list[Question]:
    """The signed-in learner's latest answered questions (titles are their own)."""
    user = _user(context)
    if not getattr(user, "is_authenticated", False):
        return []
    # Signed in, so a User.
    return list(
        Question.objects.filter(asker=cast("User", user), status=Question.Status.ANSWERED)
        .only("id", "title", "answered_at")
        .order_by("-answered_at")[:limit]
    )


@register.simple_tag(takes_context=True)
def qa_admin_summary(context: template.Context) -> dict[str, Any] | None:
    """Waiting and overdue counts for the admin index; None for those without Q&A access."""
    if not can_see_all_questions(_user(context)):
        return None
    from qa.admin.questions import waiting_summary

    return waiting_summary()
