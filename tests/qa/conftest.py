"""Q&A test data: lessons, questions in each state, library entries, and a canary.

CANARY is a string that must never leave the asker's and the instructor's pages.
"""

import itertools
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from lessons.models import Lesson
from qa.models import Answer, LibraryEntry, Question, Reply, Topic
from tests import factories

CANARY = "Zebulon-Quixote-4711"

_seq = itertools.count(1)
_ENTRY_LINK = re.compile(r'href="[^"?]*/library/(\d+)/"')


def shown_entries(response) -> list[LibraryEntry]:
    """The entries of a library page's cards, in the order shown (read from the page's HTML)."""
    ids = [int(pk) for pk in _ENTRY_LINK.findall(response.content.decode())]
    found = LibraryEntry.objects.in_bulk(ids)
    return [found[pk] for pk in ids]


def snippet_of(response) -> str:
    """The snippet of the first card on a library page."""
    return response.content.decode().split('class="qa-snippet">')[1].split("</p>")[0]


def make_lesson(course, **fields) -> Lesson:
    n = next(_seq)
    fields.setdefault("title", f"Lesson {n}")
    fields.setdefault("slug", f"lesson-{n}")
    fields.setdefault("order", n)
    return Lesson.objects.create(course=course, **fields)


def make_question(asker, **fields) -> Question:
    n = next(_seq)
    fields.setdefault("title", f"Question {n}")
    fields.setdefault("text", f"What about situation {n}?")
    now = timezone.now()
    fields.setdefault("created_at", now)
    fields.setdefault("waiting_since", fields["created_at"])
    return Question.objects.create(asker=asker, **fields)


def answer_question(question, *, text="<p>A considered answer.</p>", video_url="", sent=True):
    now = timezone.now()
    answer = Answer.objects.create(
        question=question, text=text, video_url=video_url, sent_at=now if sent else None
    )
    if sent:
        question.status = Question.Status.ANSWERED
        question.answered_at = now
        question.save()
    return answer


def make_entry(*, published=True, topics=(), lessons=(), **fields) -> LibraryEntry:
    n = next(_seq)
    fields.setdefault("title", f"Library entry {n}")
    fields.setdefault("question", f"A de-identified question number {n}.")
    fields.setdefault("answer", f"<p>The answer number {n}.</p>")
    fields.setdefault("consent_given_at", timezone.now())
    fields.setdefault("deidentified_confirmed", True)
    if published:
        fields["status"] = LibraryEntry.Status.PUBLISHED
    entry = LibraryEntry.objects.create(**fields)
    entry.topics.set(topics)
    entry.lessons.set(lessons)
    return entry


def make_topic(name: str, slug: str | None = None) -> Topic:
    return Topic.objects.create(name=name, slug=slug or name.lower().replace(" ", "-"))


def make_reply(question, author, text="A follow-up.", from_instructor=False) -> Reply:
    return Reply.objects.create(
        question=question, author=author, text=text, from_instructor=from_instructor
    )


@pytest.fixture
def lesson(course):
    return make_lesson(course, title="Role of emotion", slug="role-of-emotion")


@pytest.fixture
def question(learner, course):
    return make_question(learner, title=f"About {CANARY}", text=f"My client {CANARY} said…")


@pytest.fixture
def permitted_staff(db):
    """A Staff-group member who was also given the Q&A permission."""
    from accounts import roles

    user = factories.make_user(
        "permitted@example.com", display_name="Pat Permitted", role=roles.STAFF
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="qa", codename__in=["view_question", "add_reply"]
        )
    )
    return user
