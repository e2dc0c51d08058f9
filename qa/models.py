"""Private questions, their personal answers and follow-ups, and the Q&A Video Library.

Privacy rules (see DESIGN.md, "Confidentiality"):
- A question, its answer and its replies are seen only by the asker and by people with the
  `qa.view_question` permission (the Instructor group). `Question.objects.visible_to(user)`
  is the one way in.
- A `LibraryEntry` is a separate, de-identified record written by the instructor. It has no
  column that points to a question or a person: the link is kept on the private side
  (`Question.library_entry`, without a reverse accessor), so nothing reachable from a library
  page leads back to the asker. What the entry keeps is the fact that the asker consented
  (`consent_given_at`), copied when the entry is started from the question.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchRank, SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django_prose_editor.fields import ProseEditorField

from lessons.embeds import PROVIDERS, embed_url
from lib import search as sitesearch

if TYPE_CHECKING:
    from accounts.models import User
    from lessons.models import Lesson

QA_PERMISSION = "qa.view_question"

# What the instructor may use in an answer; the same list drives the editor and nh3.
ANSWER_EDITOR = {
    "extensions": {
        "Bold": True,
        "Italic": True,
        "Underline": True,
        "Link": {"enableTarget": False},
        "Heading": {"levels": [2, 3]},
        "BulletList": True,
        "OrderedList": True,
        "ListItem": True,
        "Blockquote": True,
        "HardBreak": True,
        "HorizontalRule": True,
        "History": True,
    }
}


def validate_video_url(value: str) -> None:
    if value and embed_url(value) is None:
        raise ValidationError(f"Use a {PROVIDERS} video link.")


def can_see_all_questions(user: User | object) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and user.has_perm(QA_PERMISSION)  # type: ignore[union-attr]
    )


class Topic(models.Model):
    """A theme of the library ("Shame & guilt"), for browsing."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


# What the question searches match (the admin's QuestionQuerySet.search and the asker's own
# site search), stored in Question.search_vector by Question.save() on PostgreSQL.
QUESTION_SEARCH_VECTOR = SearchVector("title", "text", config="english")
# Askers whose email or name contains the search words, at most (the rest of the search is
# not capped).
ASKER_MATCHES = 200


class QuestionQuerySet(models.QuerySet["Question"]):
    def visible_to(self, user: User | object) -> QuestionQuerySet:
        """The asker's own questions; every question for holders of the Q&A permission."""
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        if can_see_all_questions(user):
            return self.all()
        return self.filter(asker=cast("User", user))  # signed in and active

    def waiting(self) -> QuestionQuerySet:
        return self.filter(status=Question.Status.WAITING)

    def overdue(self, now: dt.datetime | None = None) -> QuestionQuerySet:
        now = now or timezone.now()
        cutoff = now - dt.timedelta(days=settings.QA_ANSWER_TARGET_DAYS)
        return self.waiting().filter(waiting_since__lt=cutoff)

    def search(self, query: str) -> QuestionQuerySet:
        """Questions whose title or text match `query`, or whose asker's email or name
        contains it (the instructor's search in the admin).

        On PostgreSQL the title and text are matched in full text on the stored
        `search_vector` (GIN index `qa_question_search`): a common word is found by walking
        the queue's index and testing each question's stored vector, not by parsing its text
        again. The askers are looked up first, at most `ASKER_MATCHES` of them, so that the
        two conditions combine as a bitmap OR of two indexes rather than a scan."""
        from accounts.models import User

        askers = list(
            User.objects.filter(
                models.Q(email__icontains=query) | models.Q(display_name__icontains=query)
            ).values_list("pk", flat=True)[:ASKER_MATCHES]
        )
        by_asker = models.Q(asker_id__in=askers)
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery

            words = SearchQuery(query, search_type="websearch", config="english")
            return self.filter(models.Q(search_vector=words) | by_asker)
        return self.filter(
            models.Q(title__icontains=query) | models.Q(text__icontains=query) | by_asker
        )


class Question(models.Model):
    """A learner's private question."""

    class Status(models.TextChoices):
        # The admin queue sorts by -status: "waiting" > "answered" puts waiting first.
        WAITING = "waiting", "Waiting for an answer"
        ANSWERED = "answered", "Answered"

    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="questions"
    )
    title = models.CharField(max_length=200)
    text = models.TextField(max_length=10000)
    course = models.ForeignKey(
        "courses.Course",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name="trimester",
    )
    lesson = models.ForeignKey(
        "lessons.Lesson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
    )
    consent_to_publish = models.BooleanField(
        "may publish a de-identified version",
        default=False,
        help_text="The learner allows a rewritten, de-identified version in the library.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    created_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(
        default=timezone.now,
        help_text="When the learner last wrote (the question or a follow-up).",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    library_entry = models.ForeignKey(
        "LibraryEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The de-identified entry started from this question (for bookkeeping).",
    )
    # QUESTION_SEARCH_VECTOR of the title and text, written by save() on PostgreSQL.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The admin queue's order (QuestionAdmin.ordering plus the "-pk" the admin adds to
            # make it total), in the same mixed directions, so that a page of the queue is
            # read from the index with no sort; it also serves `waiting()` and `overdue()`.
            models.Index(fields=["-status", "waiting_since", "-id"], name="qa_question_queue"),
            # One lesson's queue (the queue's lesson filter) in the same order: a lesson has a
            # sixtieth of the questions, which the queue's index finds only by reading past
            # the others (22,000 rows for the first lesson at bench scale 4).
            models.Index(
                fields=["lesson", "-status", "waiting_since", "-id"],
                name="qa_question_lesson_queue",
            ),
            models.Index(fields=["asker", "-created_at"]),
            models.Index(fields=["created_at"]),
            GinIndex(fields=["search_vector"], name="qa_question_search"),
        ]

    def __str__(self) -> str:
        return f"Question #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        update_fields = kwargs.get("update_fields")
        written = update_fields is None or {"title", "text"} & set(update_fields)
        if written and connection.vendor == "postgresql":
            Question.objects.filter(pk=self.pk).update(search_vector=QUESTION_SEARCH_VECTOR)

    def get_absolute_url(self) -> str:
        return reverse("qa:question", kwargs={"pk": self.pk})

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.WAITING

    def waited(self, now: dt.datetime | None = None) -> dt.timedelta:
        """How long the learner has been waiting (zero once answered)."""
        if not self.is_waiting:
            return dt.timedelta(0)
        return (now or timezone.now()) - self.waiting_since

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return self.is_waiting and self.waited(now) > dt.timedelta(
            days=settings.QA_ANSWER_TARGET_DAYS
        )

    @property
    def may_be_published(self) -> bool:
        return self.consent_to_publish and self.status == self.Status.ANSWERED


class Answer(models.Model):
    """The instructor's personal answer: a draft until sent."""

    question = models.OneToOneField(Question, on_delete=models.CASCADE, related_name="answer")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = ProseEditorField(config=ANSWER_EDITOR, sanitize=True, blank=True)
    video_url = models.URLField(
        "video link",
        blank=True,
        validators=[validate_video_url],
        help_text=f"Optional: a {PROVIDERS} link to a video answer (unlisted is fine).",
    )
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner was notified; empty for a draft."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Answer to question #{self.question_id}"

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    @property
    def has_content(self) -> bool:
        return bool(strip_tags(self.text).strip() or self.video_url)

    @property
    def video_embed_url(self) -> str | None:
        return embed_url(self.video_url) if self.video_url else None


class Reply(models.Model):
    """A follow-up in a question's thread, from the learner or the instructor (plain text)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    from_instructor = models.BooleanField(default=False)
    text = models.TextField(max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply #{self.pk} to question #{self.question_id}"


class LibraryEntryQuerySet(models.QuerySet["LibraryEntry"]):
    def published(self) -> LibraryEntryQuerySet:
        return self.filter(status=LibraryEntry.Status.PUBLISHED)

    def visible_to(self, user: User | object) -> LibraryEntryQuerySet:
        """Published entries for members; drafts too for staff who may edit entries."""
        from courses.models import is_member, is_program_staff

        if not is_member(user):
            return self.none()
        # Staff first: a learner's permissions are never loaded (two queries) just to say no.
        if is_program_staff(user) and user.has_perm("qa.change_libraryentry"):  # type: ignore[union-attr]
            return self.all()
        return self.published()

    def for_lesson(self, lesson: Lesson | int) -> LibraryEntryQuerySet:
        return self.filter(lessons=lesson)

    def may_answer(self, text: str) -> LibraryEntryQuerySet:
        """Published entries sharing words with `text` (a question's title), best match
        first: the library's full-text search for any of its words (PostgreSQL; none
        elsewhere). Shown beside the answer editor, so that the instructor can point to an
        entry that already answers the question."""
        words = re.findall(r"\w{3,}", text.lower())[:12]
        if connection.vendor != "postgresql" or not words:
            return self.none()
        return self.published().search(" or ".join(words))

    def search(self, query: str) -> LibraryEntryQuerySet:
        """The entries matching `query`, best first: on PostgreSQL the newest
        `lib.search.CANDIDATES` matches ranked by their stored search vector (so that a common
        word costs the same however large the library grows, as the forum's search); elsewhere
        every word anywhere in the entry, newest first. The library's list, the site search
        and the answer page's suggestions all search with it. Snippets are cut from the shown
        entries' texts (lib/search.py)."""
        found = sitesearch.Query(query)
        if connection.vendor == "postgresql":
            newest = sitesearch.newest_matches(self, found, "-published_at", "-id")
            return (
                self.filter(id__in=newest)
                .annotate(rank=SearchRank(models.F("search_vector"), found.for_postgres()))
                .order_by("-rank", "-published_at", "-id")
            )
        return self.filter(found.contains("title", "question", "answer_plain")).order_by(
            "-published_at", "-id"
        )


class LibraryEntry(models.Model):
    """A de-identified question and answer for every learner. No link to any person."""

    # Not a column: the library view sets it on search results only (read with getattr).
    snippet: str

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(
        max_length=200, blank=True, help_text="The question, rewritten in a line."
    )
    question = models.TextField(
        "de-identified question",
        blank=True,
        help_text="Rewrite the question in your own words: no names, places, dates or details "
        "that could identify a client or the learner.",
    )
    answer = ProseEditorField(config=ANSWER_EDITOR, sanitize=True, blank=True)
    answer_plain = models.TextField(editable=False, blank=True)
    video_url = models.URLField(
        "video link", blank=True, validators=[validate_video_url], help_text=f"A {PROVIDERS} link."
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="entries")
    lessons = models.ManyToManyField(
        "lessons.Lesson", blank=True, related_name="library_entries", verbose_name="related lessons"
    )
    consent_given_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the original question was sent with the learner's consent to publish.",
    )
    deidentified_confirmed = models.BooleanField(
        "I confirm this is de-identified",
        default=False,
        help_text="Nothing in the title, question, answer or video identifies a client or the "
        "learner who asked.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Title, question and answer for full-text search, written by save() on PostgreSQL
    # (a GIN index is created by migration 0002), so that a search ranks stored vectors.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = LibraryEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name = "library entry"
        verbose_name_plural = "library entries"
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # The library's topic and lesson counts (qa.browse.count_published) join the published
            # entries' ids: an index-only scan instead of reading every entry's full text.
            models.Index(fields=["status", "id"], name="qa_libraryentry_status_id"),
        ]
        constraints = [
            # Publishing needs both the asker's consent and the instructor's confirmation.
            models.CheckConstraint(
                condition=~models.Q(status="published")
                | (
                    models.Q(consent_given_at__isnull=False) & models.Q(deidentified_confirmed=True)
                ),
                name="libraryentry_published_needs_consent_and_confirmation",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"Untitled draft #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.answer_plain = " ".join(strip_tags(self.answer).split())
        if self.is_published and self.published_at is None:
            self.published_at = timezone.now()
        super().save(*args, **kwargs)
        if connection.vendor == "postgresql":
            LibraryEntry.objects.filter(pk=self.pk).update(search_vector=LIBRARY_SEARCH_VECTOR)

    def get_absolute_url(self) -> str:
        return reverse("qa:library_entry", kwargs={"pk": self.pk})

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def video_embed_url(self) -> str | None:
        return embed_url(self.video_url) if self.video_url else None

    def publishing_problems(self) -> list[str]:
        """Why this entry may not be published yet (empty when it may)."""
        problems = []
        if self.consent_given_at is None:
            problems.append(
                "The learner did not consent to publication: this entry cannot be published."
            )
        if not self.deidentified_confirmed:
            problems.append("Confirm that the entry is de-identified before publishing.")
        if not self.title.strip() or not self.question.strip():
            problems.append("Write the de-identified title and question.")
        if not strip_tags(self.answer).strip() and not self.video_url:
            problems.append("Add the answer text or a video.")
        return problems

    def clean(self) -> None:
        if self.is_published and (problems := self.publishing_problems()):
            raise ValidationError(problems)


LIBRARY_SEARCH_VECTOR = (
    SearchVector("title", weight="A", config="english")
    + SearchVector("question", weight="B", config="english")
    + SearchVector("answer_plain", weight="C", config="english")
)
