"""The curriculum (Course), its dated runs (Cohort) with their seat counts, and the home
page's FAQ and testimonials."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, TypedDict

from django.core.validators import URLValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from courses.models.access import enrolled_course_ids, is_program_staff
from courses.models.enrolment import Enrollment, SeatHold
from courses.models.prices import format_price
from courses.models.waitlist import Offer, WaitlistEntry
from lib.sanitize import clean_html

if TYPE_CHECKING:
    from accounts.models import User


class CourseQuerySet(models.QuerySet["Course"]):
    def accessible_to(self, user: User | object) -> CourseQuerySet:
        """Courses whose lessons `user` may open."""
        if is_program_staff(user):
            return self.all()
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(id__in=enrolled_course_ids(user))

    def with_progress_of(self, user: User) -> CourseQuerySet:
        """THE course progress: annotate each course with its lesson_count and material_total
        (the materials its lessons have), and with the materials_used and lessons_completed of
        `user` (see `Course.progress_percent`). One query, whatever the number of courses: each
        course's lessons, joined with `user`'s progress in each (at most one row per lesson),
        grouped by course. Not to be combined with another join to many rows per course."""
        mine = models.FilteredRelation(
            "lessons__progress", condition=models.Q(lessons__progress__user=user)
        )
        used = (
            models.Count("mine__chapter_done_at")
            + models.Count("mine__video_done_at")
            + models.Count("mine__podcast_done_at")
        )
        return self.alias(mine=mine).annotate(
            lesson_count=models.Count("lessons"),
            material_total=Coalesce(models.Sum("lessons__material_count"), 0),
            materials_used=used,
            lessons_completed=models.Count("mine__completed_at"),
        )


class Course(models.Model):
    """One trimester's curriculum."""

    number = models.PositiveSmallIntegerField(unique=True, help_text="Trimester number, 1–3.")
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Shown on the course page (HTML allowed).")
    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField(default=0)
    # The textbook the course follows is sold separately: a link, not a product here. No link
    # is shown while `textbook_url` is empty.
    textbook_title = models.CharField(
        max_length=200, blank=True, help_text="Shown as the link's text, e.g. the book's title."
    )
    textbook_url = models.URLField(
        blank=True,
        validators=[URLValidator(schemes=["https"])],
        help_text="Where to buy the textbook (https). Leave empty to show no link.",
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "number"]

    def __str__(self) -> str:
        return f"Trimester {self.number}: {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.description = clean_html(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:course", kwargs={"slug": self.slug})

    @property
    def textbook_label(self) -> str:
        return self.textbook_title or "The course’s textbook"

    @property
    def progress_percent(self) -> int:
        """The share of the course's materials used, of a course from `with_progress_of`."""
        total = self.material_total  # type: ignore[attr-defined]
        used = self.materials_used  # type: ignore[attr-defined]
        return min(100, round(100 * used / total)) if total else 0


class SeatCounts(TypedDict):
    """What `CohortQuerySet.with_seat_counts()` annotates on each run."""

    seats_taken: int
    seats_held: int
    waitlist_length: int


def run_label(course_title: str, run_name: str) -> str:
    """`str(cohort)` for a course title and a run name read as plain values."""
    return f"{course_title} — {run_name}"


class CohortQuerySet(models.QuerySet["Cohort"]):
    def labels(self) -> list[tuple[int, str]]:
        """Each run's key and name, read as plain values (the admin's run filters list every
        run; loading each run and its course, texts and all, cost more than the filter)."""
        rows = self.values_list("pk", "course__title", "name")
        return [(pk, run_label(title, name)) for pk, title, name in rows]

    def accessible_to(self, user: User | object) -> CohortQuerySet:
        """Cohorts `user` belongs to (with access), or every cohort for staff."""
        if is_program_staff(user):
            return self.all()
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            id__in=Enrollment.objects.for_user(user).granting_access().values("cohort_id")
        )

    def open_for_enrolment(self, now: dt.datetime | None = None) -> CohortQuerySet:
        """Runs open now, annotated with their seat counts (every open run shows its seats)."""
        now = now or timezone.now()
        return self.filter(
            status=Cohort.Status.OPEN, enrolment_opens_at__lte=now, enrolment_closes_at__gt=now
        ).with_seat_counts(now)

    def with_seat_counts(self, now: dt.datetime | None = None) -> CohortQuerySet:
        """Annotate seats_taken, seats_held and waitlist_length (one query, no N+1).

        THE seat count: the pages, the admin and the enrolment services (under the cohort's
        row lock) all count with it. A seat is taken by an enrolment granting access, held by
        a live hold or a pending offer; the waitlist of a run includes those waiting for the
        trimester's next run.
        """
        now = now or timezone.now()
        waiting = WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING).filter(
            models.Q(cohort=models.OuterRef("pk"))
            | models.Q(cohort__isnull=True, course=models.OuterRef("course_id"))
        )
        return self.annotate(
            seats_taken=count_of(
                Enrollment.objects.granting_access().filter(cohort=models.OuterRef("pk"))
            ),
            seats_held=count_of(SeatHold.objects.holding(now).filter(cohort=models.OuterRef("pk")))
            + count_of(Offer.objects.holding(now).filter(cohort=models.OuterRef("pk"))),
            waitlist_length=count_of(waiting),
        )


def count(field: str) -> models.Func:
    """COUNT(field), the rows where `field` is not null, for `aggregate_of`. A plain `Func`,
    not Django's `Count` aggregate: inside `aggregate_of` there is nothing to group by."""
    return models.Func(models.F(field), function="COUNT", output_field=models.IntegerField())


def aggregate_of(queryset: models.QuerySet[Any], aggregate: models.Expression) -> models.Func:
    """`aggregate` over all the rows of `queryset` (correlated with `OuterRef`), as a subquery
    that always gives one number, 0 when no row matches: `(SELECT COUNT(id) FROM ... WHERE
    ...)`."""
    values = queryset.order_by().annotate(value=aggregate).values("value")
    return Coalesce(models.Subquery(values, output_field=models.IntegerField()), 0)


def count_of(queryset: models.QuerySet[Any]) -> models.Func:
    """The number of rows of `queryset` (see `aggregate_of`)."""
    return aggregate_of(queryset, count("pk"))


class Cohort(models.Model):
    """One dated run of a course ("Spring 2027"). Staff call it a trimester run."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (hidden)"
        OPEN = "open", "Open for enrolment"
        CLOSED = "closed", "Closed"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=100, help_text="For example “Spring 2027”.")
    slug = models.SlugField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    enrolment_opens_at = models.DateTimeField()
    enrolment_closes_at = models.DateTimeField()
    seat_cap = models.PositiveIntegerField(default=20)
    price_cents = models.PositiveIntegerField(default=0, help_text="Price in cents.")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["course__order", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="cohort_unique_slug_per_course"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="cohort_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return run_label(self.course.title, self.name)

    @property
    def price_display(self) -> str:
        return format_price(self.price_cents, self.currency)

    def is_open_for_enrolment(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and self.enrolment_opens_at <= now < self.enrolment_closes_at
        )

    def seat_counts(self, now: dt.datetime | None = None) -> tuple[int, int]:
        """(taken, held): annotated by `with_seat_counts`, or counted now."""
        if hasattr(self, "seats_taken") and hasattr(self, "seats_held"):
            return self.seats_taken, self.seats_held
        counted = Cohort.objects.with_seat_counts(now).get(pk=self.pk)
        return getattr(counted, "seats_taken", 0), getattr(counted, "seats_held", 0)

    @property
    def seats_free(self) -> int:
        taken, held = self.seat_counts()
        return max(self.seat_cap - taken - held, 0)


class FaqItem(models.Model):
    """A question on the public FAQ, edited by staff."""

    question = models.CharField(max_length=200)
    answer = models.TextField(help_text="HTML allowed; it is sanitized.")
    order = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "FAQ item"

    def __str__(self) -> str:
        return self.question

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.answer = clean_html(self.answer)
        super().save(*args, **kwargs)


class Testimonial(models.Model):
    """A learner's words about the program, shown on the home page with their consent."""

    quote = models.TextField(max_length=800)
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=120, blank=True, help_text="For example “LMHC, Ohio”.")
    order = models.PositiveSmallIntegerField(default=0)
    published = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.name}: {self.quote[:40]}"
