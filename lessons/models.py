"""Lessons (a chapter, a video introduction and a podcast episode) and learner progress.

Access (DESIGN.md, "Who may see what"): staff see every lesson; a learner sees the lessons
of every course they hold an enrolment granting access in (any cohort, also after it ended);
anyone sees free-preview lessons. `Lesson.objects.visible_to(user)` is the only way in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import mimetypes
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import ExpressionWrapper, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django_prose_editor.fields import ProseEditorField

from courses.models import Course, enrolled_course_ids, granted_course_ids, is_program_staff
from lessons import embeds
from lib import uploads
from lib.sanitize import clean_html

if TYPE_CHECKING:
    from accounts.models import User

# What the chapter editor offers: headings, lists, quotes, links and images by URL.
CHAPTER_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Underline": True,
    "Heading": {"levels": [2, 3, 4]},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    "HorizontalRule": True,
    "Link": {"enableTarget": False, "protocols": ["http", "https", "mailto"]},
    # Images by URL, with an optional caption (the editor's "figure" button).
    "Figure": True,
    "Caption": True,
    "Image": True,
}

MATERIALS = ("chapter", "video", "podcast")


class LessonQuerySet(models.QuerySet["Lesson"]):
    def with_material_flags(self, *fields: str) -> LessonQuerySet:
        """Lessons with `fields` and what `has_material` needs to say which materials each has,
        without their chapters: `has_chapter` is annotated instead (a syllabus of twenty lessons
        read 240 KB of chapters only to know that they were not empty; issue 9). PostgreSQL
        tells a TOASTed text from '' by its stored length, without reading it."""
        small = [name for name in Lesson.MATERIAL_FIELDS if name != "chapter"]
        return self.only(*fields, *small).annotate(
            has_chapter=ExpressionWrapper(~Q(chapter=""), output_field=models.BooleanField())
        )

    def visible_to(self, user: User | object) -> LessonQuerySet:
        """Lessons `user` may open: all for staff, their courses' for learners, free previews."""
        if is_program_staff(user):
            return self.all()
        if not getattr(user, "is_authenticated", False):
            return self.filter(free_preview=True)
        return self.filter(Q(free_preview=True) | Q(course_id__in=granted_course_ids(user)))

    def in_feed_of(self, user: User | object) -> LessonQuerySet:
        """Episodes of the private podcast feed: lessons of courses `user` has access to.

        Unlike `visible_to`, free previews alone do not count, so a refunded learner's feed and
        audio URLs stop working altogether.
        """
        if is_program_staff(user):
            return self.all()
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(course_id__in=enrolled_course_ids(cast("User", user)))

    def with_podcast(self) -> LessonQuerySet:
        return self.exclude(podcast_file="", podcast_url="")


def upload_audio_to(instance: Lesson, filename: str) -> str:
    return f"lessons/audio/{filename}"


def upload_video_to(instance: Lesson, filename: str) -> str:
    return f"lessons/video/{filename}"


def upload_captions_to(instance: Lesson, filename: str) -> str:
    return f"lessons/captions/{filename}"


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="lessons")
    order = models.PositiveSmallIntegerField(default=0, help_text="Position in the course.")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    summary = models.TextField(max_length=600, blank=True, help_text="One or two sentences.")
    chapter = ProseEditorField(config={"extensions": CHAPTER_EXTENSIONS}, sanitize=True, blank=True)
    # Plain text of the chapter, kept for search and snippets.
    chapter_text = models.TextField(blank=True, editable=False)

    video_url = models.URLField(
        "video link",
        blank=True,
        help_text=f"A {embeds.PROVIDERS} link; it is embedded without tracking cookies.",
    )
    video_file = models.FileField(
        "video file",
        upload_to=upload_video_to,
        blank=True,
        validators=[uploads.video],
        help_text="Or upload an MP4 or WebM file (at most 1 GB).",
    )
    video_captions = models.FileField(
        "captions (WebVTT)",
        upload_to=upload_captions_to,
        blank=True,
        validators=[uploads.captions],
        help_text="Captions for an uploaded video, as a .vtt file.",
    )

    podcast_file = models.FileField(
        "podcast audio",
        upload_to=upload_audio_to,
        blank=True,
        validators=[uploads.audio],
        help_text="MP3 or M4A (AAC), at most 200 MB: what Apple Podcasts and Spotify play.",
    )
    podcast_url = models.URLField(
        "podcast audio link", blank=True, help_text="Or a link to the audio file elsewhere."
    )
    podcast_bytes = models.PositiveBigIntegerField(
        "podcast size in bytes",
        default=0,
        blank=True,
        help_text="Filled in for uploaded audio; for a link, podcast apps like to know it.",
    )
    podcast_duration = models.DurationField(
        blank=True, null=True, help_text="For example 00:42:10."
    )
    podcast_transcript = models.TextField("transcript", blank=True)
    podcast_published_at = models.DateTimeField(
        "episode published",
        null=True,
        blank=True,
        help_text="The episode's date in the podcast feed; set when its audio is first added.",
    )

    free_preview = models.BooleanField(
        default=False, help_text="Anyone, also visitors, may read this lesson."
    )
    material_count = models.PositiveSmallIntegerField(default=0, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    # Large columns only search reads; pages that do not search may defer them.
    SEARCH_ONLY_FIELDS = ("chapter_text", "search_vector")
    # What `has_material` reads; pages that only show which materials a lesson has read the
    # small ones and annotate `has_chapter` instead of the chapter (`with_material_flags`).
    MATERIAL_FIELDS = ("chapter", "video_url", "video_file", "podcast_file", "podcast_url")

    class Meta:
        ordering = ["course__order", "course__number", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_unique_slug_per_course")
        ]
        indexes = [
            models.Index(fields=["course", "order"]),
            models.Index(fields=["free_preview"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.chapter = clean_html(self.chapter)
        text = html.unescape(strip_tags(self.chapter.replace("><", "> <")))
        self.chapter_text = " ".join(text.split())
        self.material_count = sum(self.has_material(m) for m in MATERIALS)
        if self.podcast_published_at is None and self.has_material("podcast"):
            self.podcast_published_at = timezone.now()
        if self.podcast_file and not self.podcast_url:
            with contextlib.suppress(OSError, ValueError):  # a file missing from storage
                self.podcast_bytes = self.podcast_file.size
        super().save(*args, **kwargs)
        if connection.vendor == "postgresql":
            Lesson.objects.filter(pk=self.pk).update(search_vector=SEARCH_VECTOR)

    def get_absolute_url(self) -> str:
        return reverse(
            "lessons:lesson", kwargs={"course_slug": self.course.slug, "slug": self.slug}
        )

    def clean(self) -> None:
        errors = {}
        if self.video_url and not embeds.embed_url(self.video_url):
            errors["video_url"] = f"Use a {embeds.PROVIDERS} video link."
        if self.video_url and self.video_file:
            errors["video_file"] = "Give a video link or a file, not both."
        if self.podcast_url and self.podcast_file:
            errors["podcast_file"] = "Give an audio file or a link, not both."
        if self.video_captions and not self.video_file:
            errors["video_captions"] = "Captions go with an uploaded video file."
        if errors:
            raise ValidationError(errors)

    def has_material(self, material: str) -> bool:
        if material == "chapter":
            known = self.__dict__.get("has_chapter")  # annotated: see `with_material_flags`
            return bool(self.chapter) if known is None else known
        if material == "video":
            return bool(self.video_url or self.video_file)
        if material == "podcast":
            return bool(self.podcast_file or self.podcast_url)
        return False

    @cached_property
    def materials(self) -> list[str]:
        # Cached: a lesson page asks seven times (issue 9).
        return [m for m in MATERIALS if self.has_material(m)]

    @property
    def video_embed_url(self) -> str | None:
        embed = embeds.embed_url(self.video_url) if self.video_url else None
        return embeds.with_player_events(embed) if embed else None

    @property
    def podcast_mime_type(self) -> str:
        name = self.podcast_file.name if self.podcast_file else self.podcast_url
        kind, _ = mimetypes.guess_type(name or "")
        kind = {"audio/x-wav": "audio/wav", "audio/mp4a-latm": "audio/mp4"}.get(kind or "", kind)
        return kind if kind and kind.startswith("audio/") else "audio/mpeg"

    @property
    def podcast_duration_display(self) -> str:
        """00:42:10 → "42 min"; under a minute → "1 min"."""
        if not self.podcast_duration:
            return ""
        minutes = max(1, round(self.podcast_duration.total_seconds() / 60))
        return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"

    @property
    def podcast_itunes_duration(self) -> str:
        if not self.podcast_duration:
            return ""
        seconds = int(self.podcast_duration.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


SEARCH_VECTOR = (
    SearchVector("title", weight="A", config="english")
    + SearchVector("summary", weight="B", config="english")
    + SearchVector("chapter_text", weight="C", config="english")
    + SearchVector("podcast_transcript", weight="D", config="english")
)


class Progress(models.Model):
    """What one learner has done in one lesson. Materials may be used in any order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    chapter_done_at = models.DateTimeField(null=True, blank=True)
    video_done_at = models.DateTimeField(null=True, blank=True)
    podcast_done_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    # Where the learner stopped the video and the podcast (seconds): their players start
    # there again, on any device (static/js/players.js).
    video_position = models.PositiveIntegerField(default=0)
    podcast_position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "progress"
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="progress_one_per_user_lesson")
        ]
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.lesson}"

    def is_done(self, material: str) -> bool:
        return getattr(self, f"{material}_done_at", None) is not None

    @property
    def done_materials(self) -> list[str]:
        return [m for m in MATERIALS if self.is_done(m)]

    def done_count(self, lesson: Lesson) -> int:
        return sum(self.is_done(m) for m in lesson.materials)

    def refresh_completion(self, lesson: Lesson, now: dt.datetime | None = None) -> None:
        """Complete once every material the lesson has is done; open again if one is undone."""
        if lesson.material_count and self.done_count(lesson) >= lesson.material_count:
            self.completed_at = self.completed_at or now or timezone.now()
        else:
            self.completed_at = None


# The longest note a learner may keep per lesson (characters).
NOTE_MAX_LENGTH = 20_000


class Note(models.Model):
    """A learner's private notes on one lesson (issue 24). Clinical text: only its author
    ever sees it. It is not in the admin, in logs, URLs, caches or anyone else's page; it is
    in the author's data export and erased with the account (lessons/privacy.py)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_notes"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "lesson"], name="note_one_per_user_lesson")
        ]

    def __str__(self) -> str:
        return f"Note #{self.pk}"  # never the text: this name may reach a log
