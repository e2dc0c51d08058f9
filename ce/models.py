"""Continuing-education (CE) credit: the hours staff set, the post-test and the evaluation a
learner completes, and the certificates the program issues (issue 25).

Hours are set by staff in the admin: per lesson material (home study), per Friday group (live,
1.25 for 75 minutes unless set otherwise), and per course its sponsor statement and completion
rule. What a learner *earned* is computed from what they did (ce/services.py): it is never
stored, except as the snapshot printed on an issued certificate.

A certificate is a record the sponsor must keep: the name and credentials as the learner
entered them when it was issued, the hours, the dates and the sponsor statement are copied into
it, so that a later change of profile, of hours or of the statement does not change what was
certified. Its code is the only way to the public verification page.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courses.models import Cohort, Course
from lessons.models import Lesson
from zoomgroups.models import GroupSession

# A Friday group is 75 minutes: 1.25 hours unless staff set another figure for a session.
DEFAULT_LIVE_HOURS = Decimal("1.25")


def hours_field(
    verbose_name: str, default: Decimal = Decimal(0)
) -> models.DecimalField[Decimal, Decimal]:
    return models.DecimalField(
        verbose_name,
        max_digits=5,
        decimal_places=2,
        default=default,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )


def new_certificate_code() -> str:
    """32 URL-safe characters (24 random bytes): unguessable, and a `<token:...>` in URLs."""
    return secrets.token_urlsafe(24)


class CourseCredit(models.Model):
    """Whether and how a course (one trimester) gives CE credit: the sponsor statement the
    certificate carries, and the completion rule."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="ce_credit")
    approving_body = models.CharField(
        max_length=200, help_text="For example “American Psychological Association (APA)”."
    )
    provider_number = models.CharField("provider number", max_length=100, blank=True)
    sponsor_statement = models.TextField(
        max_length=2000,
        help_text="The approval statement the certificate must carry, word for word.",
    )
    min_live_groups = models.PositiveSmallIntegerField(
        "Friday groups required",
        default=0,
        validators=[MaxValueValidator(10)],
        help_text="How many Friday groups a learner must have attended (see the next box).",
    )
    recordings_count = models.BooleanField(
        "recordings count toward them",
        default=True,
        help_text="A recording watched counts toward the Friday groups required "
        "(its hours are home study, never live).",
    )

    class Meta:
        verbose_name = "CE credit of a course"
        verbose_name_plural = "CE credit of courses"

    def __str__(self) -> str:
        return f"CE credit: {self.course}"


class LessonHours(models.Model):
    """Home-study hours of each material of a lesson."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="ce_hours")
    chapter = hours_field("chapter hours")
    video = hours_field("video hours")
    podcast = hours_field("podcast hours")

    class Meta:
        verbose_name = "home-study hours of a lesson"
        verbose_name_plural = "home-study hours of lessons"

    def __str__(self) -> str:
        return f"Hours: {self.lesson}"

    def of(self, material: str) -> Decimal:
        return getattr(self, material, Decimal(0)) or Decimal(0)


class SessionHours(models.Model):
    """Live hours of one Friday group, when not the default 1.25."""

    session = models.OneToOneField(GroupSession, on_delete=models.CASCADE, related_name="ce_hours")
    hours = hours_field("live hours", DEFAULT_LIVE_HOURS)

    class Meta:
        verbose_name = "live hours of a Friday group"
        verbose_name_plural = "live hours of Friday groups"

    def __str__(self) -> str:
        return f"{self.hours} h: {self.session}"


class RecordingView(models.Model):
    """A learner said they watched a Friday group's recording: home study, never live."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ce_recording_views"
    )
    session = models.ForeignKey(
        GroupSession, on_delete=models.CASCADE, related_name="ce_recording_views"
    )
    watched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "session"], name="ce_recording_view_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} watched {self.session}"


class PostTest(models.Model):
    """The test of learning for a course's home-study hours (multiple choice)."""

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="ce_post_test")
    pass_percent = models.PositiveSmallIntegerField(
        "pass mark (%)", default=75, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    instructions = models.TextField(blank=True, max_length=2000)

    class Meta:
        verbose_name = "post-test"

    def __str__(self) -> str:
        return f"Post-test: {self.course}"


class PostTestQuestion(models.Model):
    post_test = models.ForeignKey(PostTest, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(max_length=1000)
    order = models.PositiveSmallIntegerField(default=0, help_text="Only for the admin's list.")

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "post-test question"

    def __str__(self) -> str:
        return self.text[:80]


class PostTestChoice(models.Model):
    question = models.ForeignKey(PostTestQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField("correct", default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = "answer choice"

    def __str__(self) -> str:
        return self.text[:80]


class PostTestResult(models.Model):
    """A learner's best attempt at a post-test, and when it was made. Attempts are not kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ce_test_results"
    )
    post_test = models.ForeignKey(PostTest, on_delete=models.CASCADE, related_name="results")
    best_percent = models.PositiveSmallIntegerField(default=0)
    best_at = models.DateTimeField(default=timezone.now)
    passed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner first passed."
    )
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "post-test result"
        constraints = [
            models.UniqueConstraint(fields=["user", "post_test"], name="ce_one_result_per_test")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.best_percent}%"


class EvaluationQuestion(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", "Scale from 1 (poor) to 5 (excellent)"
        TEXT = "text", "Free text"

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="ce_evaluation_questions"
    )
    text = models.CharField(max_length=300)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.SCALE)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class EvaluationResponse(models.Model):
    """One learner's evaluation of a course. Staff see responses without names; after the
    learner deletes their account, the response stays, with no account attached."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ce_evaluations",
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="ce_evaluations")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.SET_NULL, null=True, blank=True, related_name="ce_evaluations"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="ce_one_evaluation_per_course")
        ]
        indexes = [models.Index(fields=["cohort", "submitted_at"])]

    def __str__(self) -> str:
        return f"Evaluation #{self.pk}"


class EvaluationAnswer(models.Model):
    response = models.ForeignKey(
        EvaluationResponse, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        EvaluationQuestion, on_delete=models.CASCADE, related_name="answers"
    )
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    text = models.TextField(blank=True, max_length=3000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="ce_one_answer_per_question"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ce_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer #{self.pk}"


class CertificateQuerySet(models.QuerySet["Certificate"]):
    def valid(self) -> CertificateQuerySet:
        return self.filter(revoked_at__isnull=True)


class Certificate(models.Model):
    """An issued CE certificate for one trimester: a snapshot of what was certified."""

    code = models.CharField(
        max_length=64, unique=True, default=new_certificate_code, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ce_certificates"
    )
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="ce_certificates")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, null=True, blank=True, related_name="ce_certificates"
    )
    name = models.CharField(max_length=80, help_text="As the learner entered it.")
    credentials = models.CharField(max_length=80, blank=True)
    program = models.CharField(max_length=200)
    trimester = models.CharField(max_length=300)
    live_hours = models.DecimalField(max_digits=6, decimal_places=2)
    home_study_hours = models.DecimalField(max_digits=6, decimal_places=2)
    started_on = models.DateField(help_text="The first activity counted.")
    completed_on = models.DateField(help_text="When the last requirement was met.")
    approving_body = models.CharField(max_length=200)
    provider_number = models.CharField(max_length=100, blank=True)
    sponsor_statement = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=500, blank=True)
    replaces = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    # Set when the learner deleted their account: the record is kept (privacy page), the
    # public verification page then says only whether it is valid.
    holder_erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=Q(revoked_at__isnull=True),
                name="ce_one_valid_certificate_per_course",
            )
        ]

    def __str__(self) -> str:
        return f"Certificate #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("ce:certificate_pdf", kwargs={"code": self.code})

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def total_hours(self) -> Decimal:
        return self.live_hours + self.home_study_hours

    @property
    def holder(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name

    def get_verify_url(self) -> str:
        return reverse("ce:verify", kwargs={"code": self.code})
