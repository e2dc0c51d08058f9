"""Q&A use cases: asking, answering, follow-ups and the library.

Notifications carry a link, never the text of a question, answer or reply.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import optional_email
from courses.models import is_member
from outbox.services import queue_email
from qa.models import Answer, LibraryEntry, Question, Reply, can_see_all_questions

if TYPE_CHECKING:
    from accounts.models import User
    from courses.models import Course
    from lessons.models import Lesson

logger = logging.getLogger(__name__)


def can_reply(user: User | object, question: Question) -> bool:
    if can_see_all_questions(user) and user.has_perm("qa.add_reply"):  # type: ignore[union-attr]
        return True
    return getattr(user, "pk", None) == question.asker_id and is_member(user)


def _notify_asker(question: Question, kind: str) -> None:
    """Unless the asker turned answer notices off: the answer waits on their questions page."""
    optional = optional_email("answer_notices", user_id=question.asker_id)
    if optional is None:
        return
    off, headers = optional
    url = settings.SITE_URL + reverse("qa:question", kwargs={"pk": question.pk})
    context = {"question_url": url, "kind": kind, **off}
    queue_email("qa_answered", [question.asker.email], context, headers)
    logger.info("Q&A: notified the asker of question %s (%s)", question.pk, kind)


@transaction.atomic
def ask_question(
    *,
    asker: User,
    title: str,
    text: str,
    course: Course | None = None,
    lesson: Lesson | None = None,
    consent_to_publish: bool = False,
) -> Question:
    if not is_member(asker):
        raise PermissionDenied("Questions are for enrolled learners.")
    if lesson is not None:
        course = lesson.course
    now = timezone.now()
    question = Question.objects.create(
        asker=asker,
        title=title,
        text=text,
        course=course,
        lesson=lesson,
        consent_to_publish=consent_to_publish,
        created_at=now,
        waiting_since=now,
    )
    logger.info("Q&A: question %s asked", question.pk)
    return question


@transaction.atomic
def send_answer(*, question_id: int, by: User) -> bool:
    """Send the answer to the learner: True if this call notified them, False if it was
    already sent (sending is idempotent). Raises ValidationError for an empty answer."""
    question = Question.objects.select_for_update().select_related("asker").get(pk=question_id)
    answer = Answer.objects.select_for_update().filter(question=question).first()
    if answer is None or not answer.has_content:
        raise ValidationError("Write the answer or add a video link before sending it.")
    if answer.sent_at is not None:
        return False
    now = timezone.now()
    answer.sent_at = now
    if answer.author_id is None:
        answer.author = by
    answer.save(update_fields=["sent_at", "author", "updated_at"])
    question.status = Question.Status.ANSWERED
    question.answered_at = now
    question.save(update_fields=["status", "answered_at"])
    _notify_asker(question, "answer")
    return True


@transaction.atomic
def add_reply(*, question: Question, author: User, text: str) -> Reply:
    """A follow-up in the thread. The learner's makes the question wait again; the
    instructor's answers it and tells the learner."""
    question = Question.objects.select_for_update().select_related("asker").get(pk=question.pk)
    if not can_reply(author, question):
        raise PermissionDenied("You may not reply to this question.")
    from_instructor = author.pk != question.asker_id
    now = timezone.now()
    reply = Reply.objects.create(
        question=question, author=author, from_instructor=from_instructor, text=text, created_at=now
    )
    if from_instructor:
        question.status = Question.Status.ANSWERED
        question.answered_at = now
        question.save(update_fields=["status", "answered_at"])
        _notify_asker(question, "reply")
    else:
        question.status = Question.Status.WAITING
        question.waiting_since = now
        question.save(update_fields=["status", "waiting_since"])
    return reply


@transaction.atomic
def start_library_entry(*, question_id: int, by: User) -> LibraryEntry:
    """A draft library entry from an answered question whose asker consented.

    The draft copies the instructor's own answer and video and the related lesson, plus the
    fact of consent; never the learner's words, the learner or the question itself. Starting
    again returns the existing draft.
    """
    question = (
        Question.objects.select_for_update(of=("self",))
        .select_related("answer", "library_entry")
        .get(pk=question_id)
    )
    if not can_see_all_questions(by):
        raise PermissionDenied("Only the instructor may start library entries.")
    if not question.consent_to_publish:
        raise ValidationError("The learner did not consent to publication.")
    if question.status != Question.Status.ANSWERED:
        raise ValidationError("Answer the question before starting a library entry.")
    if question.library_entry is not None:
        return question.library_entry
    answer = getattr(question, "answer", None)
    entry = LibraryEntry.objects.create(
        answer=answer.text if answer else "",
        video_url=answer.video_url if answer else "",
        consent_given_at=question.created_at,
    )
    if question.lesson_id:
        entry.lessons.add(question.lesson_id)
    question.library_entry = entry
    question.save(update_fields=["library_entry"])
    return entry


@transaction.atomic
def publish_library_entry(*, entry_id: int) -> LibraryEntry:
    """Publish, or refuse with the reasons (no consent, no confirmation, nothing written)."""
    entry = LibraryEntry.objects.select_for_update().get(pk=entry_id)
    if entry.is_published:
        return entry
    if problems := entry.publishing_problems():
        raise ValidationError(problems)
    entry.status = LibraryEntry.Status.PUBLISHED
    entry.published_at = timezone.now()
    entry.save()
    return entry


def send_digest(*, now: dt.datetime | None = None) -> bool:
    """Tell the instructor how many questions came in over the last day (counts and links
    only). False when there is nothing to say."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=1)
    new_count = Question.objects.filter(created_at__gte=since, created_at__lt=now).count()
    waiting = Question.objects.waiting()
    waiting_count = waiting.count()
    if not new_count and not waiting_count:
        return False
    queue_url = settings.SITE_URL + reverse("admin:qa_question_changelist")
    queue_email(
        "qa_digest",
        [settings.INSTRUCTOR_EMAIL],
        {
            "new_count": new_count,
            "waiting_count": waiting_count,
            "overdue_count": waiting.overdue(now).count(),
            "target_days": settings.QA_ANSWER_TARGET_DAYS,
            "queue_url": queue_url + "?status__exact=waiting",
        },
    )
    return True
