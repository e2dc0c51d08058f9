"""Questions' part of the data export and account erasure (see accounts/privacy.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from qa.models import Question

DELETION_PLAN = {
    "qa.Question.asker": "erased, with the answer and follow-ups",
    "qa.Answer.author": "kept: instructors' answers to other people",
    "qa.Reply.author": "erased with the learner's questions",
}


def export(user: User) -> dict[str, Any]:
    questions = (
        Question.objects.filter(asker=user)
        .select_related("course", "lesson", "answer")
        .prefetch_related("replies")
        .order_by("created_at")
    )
    return {"questions": [_export_question(q) for q in questions]}


def _export_question(question: Question) -> dict[str, Any]:
    answer = getattr(question, "answer", None)
    sent = answer is not None and answer.is_sent
    return {
        "title": question.title,
        "text": question.text,
        "course": question.course.title if question.course else None,
        "lesson": question.lesson.title if question.lesson else None,
        "consent_to_publish": question.consent_to_publish,
        "status": question.status,
        "asked_at": iso(question.created_at),
        # A draft the instructor has not sent yet is theirs, not the learner's.
        "answer": {
            "text_html": answer.text,
            "video_url": answer.video_url,
            "sent_at": iso(answer.sent_at),
        }
        if sent and answer is not None
        else None,
        "follow_ups": [
            {
                "from": "instructor" if r.from_instructor else "you",
                "text": r.text,
                "at": iso(r.created_at),
            }
            for r in question.replies.all()
        ],
    }


def erase(user: User, *, keep_posts: bool) -> None:
    Question.objects.filter(asker=user).delete()
