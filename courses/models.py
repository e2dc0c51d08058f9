"""The curriculum (Course), its dated runs (Cohort) and who is in them (Enrollment).

Access rule (see DESIGN.md): a learner may open a course's lessons while they hold an
enrolment in any cohort of that course whose status grants access (active or comped) — also
after the cohort has ended. Refunds and cancellations take access away at once. Staff and the
instructor (`is_staff`) see everything.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any, TypedDict

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts import mfa
from lib.sanitize import clean_html

if TYPE_CHECKING:
    from accounts.models import User


def is_program_staff(user: User | object) -> bool:
    """Staff and the instructor see every course, run and forum circle — in a session that
    passed a second factor (`accounts.mfa.powers_allowed`)."""
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "is_staff", False)
        and mfa.powers_allowed(user)
    )


def granted_runs(user: User | object) -> list[Any]:
    """The runs in which `user` holds an enrolment granting access, by start date: rows of
    (cohort_id, course_id, name) from `Enrollment.objects.for_user(user).granting_access()`.

    The navigation, the enrol buttons, the dashboard and the course and lesson pages all ask,
    so the rows are read once per request and kept on the user object (`request.user` lives
    as long as the request). Code that changes enrolments checks access with
    `Course.objects.accessible_to()`, which always asks the database.
    """
    if not getattr(user, "is_authenticated", False):
        return []
    memo = getattr(user, "_granted_runs", None)
    if memo is None:
        memo = list(
            Enrollment.objects.for_user(user)
            .granting_access()
            .annotate(course_id=models.F("cohort__course_id"), name=models.F("cohort__name"))
            .order_by("cohort__starts_on", "cohort_id")
            .values_list("cohort_id", "course_id", "name", named=True)
        )
        user._granted_runs = memo  # type: ignore[union-attr]
    return memo


def access_grants(user: User | object) -> dict[int, int]:
    """{cohort id: course id} of `granted_runs(user)`."""
    return {run.cohort_id: run.course_id for run in granted_runs(user)}


def has_course_access(user: User | object, course_id: int) -> bool:
    """What `Course.objects.accessible_to(user)` says of one course, from `granted_runs`."""
    return is_program_staff(user) or course_id in access_grants(user).values()


def is_member(user: User | object) -> bool:
    """A learner with access to at least one course, or staff: may use the library and forum.

    Read once per request (see `granted_runs`).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return is_program_staff(user) or bool(granted_runs(user))


def granted_course_ids(user: User | object) -> list[int] | None:
    """The ids of the courses `user` may open, from `granted_runs`, or None for staff (all of
    them). What pages filter on to show a learner's lessons and sessions: the page has read
    the runs for its menu anyway."""
    if is_program_staff(user):
        return None
    return sorted(set(access_grants(user).values()))


def granted_cohort_ids(user: User | object) -> list[int] | None:
    """The ids of the runs `user` holds access in, or None for staff (see
    `granted_course_ids`)."""
    if is_program_staff(user):
        return None
    return sorted(access_grants(user))


def enrolled_course_ids(user: User | object) -> models.QuerySet:
    """Subquery: the ids of the courses a learner holds an access-granting enrolment in, for
    `course_id__in=` filters that must ask the database (feeds, `accessible_to`)."""
    return Enrollment.objects.for_user(user).granting_access().values("cohort__course_id")


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
        `user` (see `Course.progress_percent`). One query, whatever the number of courses."""
        lesson_model = apps.get_model("lessons", "Lesson")
        progress_model = apps.get_model("lessons", "Progress")
        lessons = lesson_model.objects.filter(course=models.OuterRef("pk"))
        progress = progress_model.objects.filter(user=user, lesson__course=models.OuterRef("pk"))
        used = count("chapter_done_at") + count("video_done_at") + count("podcast_done_at")
        return self.annotate(
            lesson_count=aggregate_of(lessons, count("pk")),
            material_total=aggregate_of(lessons, total("material_count")),
            materials_used=aggregate_of(progress, used),
            lessons_completed=aggregate_of(progress, count("completed_at")),
        )


class Course(models.Model):
    """One trimester's curriculum."""

    number = models.PositiveSmallIntegerField(unique=True, help_text="Trimester number, 1–3.")
    title = models.CharField(max_length=200)
    subtitle = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Shown on the course page (HTML allowed).")
    slug = models.SlugField(unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["order", "number"]

    def __str__(self) -> str:
        return f"Trimester {self.number}: {self.title}"

    def save(self, *args, **kwargs) -> None:
        self.description = clean_html(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:course", kwargs={"slug": self.slug})

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


class CohortQuerySet(models.QuerySet["Cohort"]):
    def accessible_to(self, user: User | object) -> CohortQuerySet:
        """Cohorts `user` belongs to (with access), or every cohort for staff."""
        if is_program_staff(user):
            return self.all()
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            id__in=Enrollment.objects.for_user(user).granting_access().values("cohort_id")
        )

    def open_for_enrolment(self, now=None) -> CohortQuerySet:
        """Runs open now, annotated with their seat counts (every open run shows its seats)."""
        now = now or timezone.now()
        return self.filter(
            status=Cohort.Status.OPEN, enrolment_opens_at__lte=now, enrolment_closes_at__gt=now
        ).with_seat_counts(now)

    def with_seat_counts(self, now=None) -> CohortQuerySet:
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


def total(field: str) -> models.Func:
    """SUM(field), for `aggregate_of`."""
    return models.Func(models.F(field), function="SUM", output_field=models.IntegerField())


def aggregate_of(queryset: models.QuerySet, aggregate: models.Expression) -> models.Func:
    """`aggregate` over all the rows of `queryset` (correlated with `OuterRef`), as a subquery
    that always gives one number, 0 when no row matches: `(SELECT COUNT(id) FROM ... WHERE
    ...)`."""
    values = queryset.order_by().annotate(value=aggregate).values("value")
    return Coalesce(models.Subquery(values, output_field=models.IntegerField()), 0)


def count_of(queryset: models.QuerySet) -> models.Func:
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
        return f"{self.course.title} — {self.name}"

    @property
    def price_display(self) -> str:
        amount = self.price_cents / 100
        symbol = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}.get(
            self.currency, ""
        )
        text = f"{amount:,.0f}" if self.price_cents % 100 == 0 else f"{amount:,.2f}"
        return f"{symbol}{text}" if symbol else f"{text} {self.currency.upper()}"

    def is_open_for_enrolment(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and self.enrolment_opens_at <= now < self.enrolment_closes_at
        )

    def seat_counts(self, now=None) -> tuple[int, int]:
        """(taken, held): annotated by `with_seat_counts`, or counted now."""
        if hasattr(self, "seats_taken") and hasattr(self, "seats_held"):
            return self.seats_taken, self.seats_held
        counted = Cohort.objects.with_seat_counts(now).get(pk=self.pk)
        return getattr(counted, "seats_taken", 0), getattr(counted, "seats_held", 0)

    @property
    def seats_free(self) -> int:
        taken, held = self.seat_counts()
        return max(self.seat_cap - taken - held, 0)


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def granting_access(self) -> EnrollmentQuerySet:
        """THE access rule: enrolments whose status lets their learner open the course's
        lessons (also after the run has ended). Every other access check is built on it."""
        return self.filter(status__in=Enrollment.ACCESS_STATUSES)

    def for_user(self, user: User | object) -> EnrollmentQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)


class Enrollment(models.Model):
    """A learner in a cohort. Access to the course's lessons outlasts the cohort."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPED = "comped", "Complimentary"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        STRIPE = "stripe", "Paid online (Stripe)"
        STAFF = "staff", "Enrolled by staff"
        OFFER = "offer", "Waitlist or aid offer"

    ACCESS_STATUSES = (Status.ACTIVE, Status.COMPED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    amount_paid_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    stripe_payment_intent = models.CharField(
        max_length=255, blank=True, db_index=True, help_text="Stripe payment for this seat."
    )
    dispute_status = models.CharField(
        max_length=20, blank=True, help_text="Set when the payer opens a dispute with their bank."
    )
    ended_at = models.DateTimeField(null=True, blank=True, help_text="When access was taken away.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cohort"], name="enrollment_one_per_user_cohort"
            )
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.cohort}"

    @property
    def grants_access(self) -> bool:
        return self.status in self.ACCESS_STATUSES


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

    def save(self, *args, **kwargs) -> None:
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


# Enrolment: seat holds, the waitlist, offers, financial aid and Stripe events ------------------
#
# A seat is *taken* by an enrolment that grants access and *held* by a live SeatHold (checkout
# in progress) or a pending Offer (a personal link sent to someone on the waitlist). Holds and
# offers stop counting the moment they lapse, even before the sweeper marks them. Every change
# that takes a seat goes through courses/services.py, which locks the cohort row first
# (select_for_update) and counts under that lock: a cap over several rows cannot be a CHECK
# constraint, so the row lock serialises it, and the unique constraints below stop the rest
# (one enrolment and one live hold per person and cohort, one row per Stripe session and event).


def new_offer_token() -> str:
    return secrets.token_urlsafe(32)


def new_leave_token() -> str:
    return secrets.token_urlsafe(32)


class SeatHoldQuerySet(models.QuerySet["SeatHold"]):
    def holding(self, now=None) -> SeatHoldQuerySet:
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE, expires_at__gt=now)

    def lapsed(self, now=None) -> SeatHoldQuerySet:
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE, expires_at__lte=now)

    def checkout_closed(self, now=None) -> SeatHoldQuerySet:
        """Active holds whose Stripe checkout has closed (by our clock) or that lapsed: the
        sweeper asks Stripe how each ended before the seat goes."""
        now = now or timezone.now()
        return self.filter(state=SeatHold.State.ACTIVE).filter(
            models.Q(expires_at__lte=now) | models.Q(checkout_expires_at__lte=now)
        )


class SeatHold(models.Model):
    """A seat reserved while its holder pays at Stripe Checkout."""

    class State(models.TextChoices):
        ACTIVE = "active", "Holding a seat"
        CONVERTED = "converted", "Became an enrolment"
        RELEASED = "released", "Released"
        EXPIRED = "expired", "Expired"
        REFUND_DUE = "refund_due", "Paid too late: refund pending"
        REFUNDED = "refunded", "Paid, no seat: refunded"
        # Terminal states that need a person: staff are emailed when a hold reaches one.
        CANCELLED = "cancelled", "Completed too late, nothing paid: cancelled"
        UNREFUNDED = "unrefunded", "Paid, no seat, refund refused: staff must refund"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="holds")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_holds"
    )
    offer = models.ForeignKey(
        "Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="holds"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    expires_at = models.DateTimeField()
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    stripe_session_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    checkout_url = models.URLField(max_length=1000, blank=True)
    checkout_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Stripe closes the checkout; the hold outlasts it by a few minutes.",
    )
    stripe_payment_intent = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeatHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "user"],
                condition=models.Q(state="active"),
                name="seathold_one_active_per_user_cohort",
            )
        ]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"Seat hold #{self.pk} in {self.cohort}"

    def is_holding(self, now=None) -> bool:
        return self.state == self.State.ACTIVE and self.expires_at > (now or timezone.now())

    def checkout_open(self, now=None) -> bool:
        """Whether its Stripe Checkout Session can still be paid (by our clock)."""
        return self.checkout_expires_at is None or self.checkout_expires_at > (
            now or timezone.now()
        )


class WaitlistEntry(models.Model):
    """A person waiting for a seat in a full cohort, or for a trimester's next run."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offer sent"
        LAPSED = "lapsed", "Offer lapsed"
        ENROLLED = "enrolled", "Enrolled"
        REMOVED = "removed", "Removed"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="waitlist")
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        help_text="Empty: waiting for the trimester's next run.",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    message = models.TextField(max_length=2000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    position = models.PositiveIntegerField(
        default=0, help_text="Lower goes first. Edit to reorder."
    )
    # The secret in the person's own link to leave the list (they may have no account).
    leave_token = models.CharField(
        max_length=64, unique=True, default=new_leave_token, editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    ON_THE_LIST = (Status.WAITING, Status.OFFERED)

    class Meta:
        ordering = ["position", "created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "email"],
                condition=models.Q(cohort__isnull=False),
                name="waitlist_one_per_email_cohort",
            ),
            models.UniqueConstraint(
                fields=["course", "email"],
                condition=models.Q(cohort__isnull=True),
                name="waitlist_one_per_email_next_run",
            ),
        ]
        indexes = [models.Index(fields=["course", "status", "position"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> for {self.cohort or self.course}"

    def get_leave_url(self) -> str:
        return reverse("courses:waitlist_leave", kwargs={"token": self.leave_token})

    @property
    def is_on_the_list(self) -> bool:
        return self.status in self.ON_THE_LIST


class FinancialAidRequest(models.Model):
    """“What if I can't afford to join?” — staff answer with a reduced price or a free place."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        GRANTED = "granted", "Granted (offer sent)"
        DECLINED = "declined", "Declined"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="aid_requests")
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="aid_requests",
        help_text="The run to offer a seat in. Set before granting.",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    can_pay = models.CharField(
        "what you could pay", max_length=120, blank=True, help_text="Optional, in your words."
    )
    message = models.TextField("your situation", max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    granted_price_cents = models.PositiveIntegerField(
        null=True, blank=True, help_text="Price to offer, in cents; 0 is a free place."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "financial aid request"

    def __str__(self) -> str:
        return f"Aid request from {self.name} for {self.course}"


class OfferQuerySet(models.QuerySet["Offer"]):
    def holding(self, now=None) -> OfferQuerySet:
        now = now or timezone.now()
        return self.filter(status=Offer.Status.PENDING, expires_at__gt=now)

    def lapsed(self, now=None) -> OfferQuerySet:
        now = now or timezone.now()
        return self.filter(status=Offer.Status.PENDING, expires_at__lte=now)


class Offer(models.Model):
    """A personal, single-use link that holds a seat for its recipient for a while."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the person"
        CHECKOUT = "checkout", "Paying at checkout"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="offers")
    waitlist_entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="offers"
    )
    aid_request = models.ForeignKey(
        FinancialAidRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
    )
    name = models.CharField(max_length=120)
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_offer_token, editable=False)
    price_cents = models.PositiveIntegerField(help_text="0 is a free place.")
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OfferQuerySet.as_manager()

    # Still the person's to take up or being paid for: a person holds at most one such offer
    # per trimester (courses.services).
    LIVE_STATUSES = (Status.PENDING, Status.CHECKOUT)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"Offer to {self.name} for {self.cohort}"

    def get_absolute_url(self) -> str:
        return reverse("courses:offer", kwargs={"token": self.token})

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_display(self) -> str:
        return Cohort(price_cents=self.price_cents, currency=self.currency).price_display

    def is_open(self, now=None) -> bool:
        return self.status == self.Status.PENDING and self.expires_at > (now or timezone.now())

    def is_for(self, user: User | object) -> bool:
        email = getattr(user, "email", "") or ""
        return email.strip().lower() == self.email.strip().lower()


class StripeEvent(models.Model):
    """One Stripe webhook event: stored once by its id, with what we did about it."""

    class Outcome(models.TextChoices):
        PROCESSING = "processing", "Processing"
        ENROLLED = "enrolled", "Enrolled"
        ALREADY_DONE = "already_done", "Already done"
        WAITING = "waiting", "Waiting for payment"
        RELEASED = "released", "Seat released"
        REFUNDED_LATE = "refunded_late", "Paid too late: refunded"
        ACCESS_ENDED = "access_ended", "Access ended"
        REFUND_EARLY = "refund_early", "Refund before fulfilment: remembered"
        PARTIAL_REFUND = "partial_refund", "Partial refund: access kept"
        DISPUTE = "dispute", "Dispute recorded"
        IGNORED = "ignored", "Ignored"
        UNMATCHED = "unmatched", "No matching seat or enrolment"
        CANCELLED = "cancelled", "Completed too late, nothing paid: cancelled"
        MALFORMED = "malformed", "Malformed event: refused"

    class Source(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RECONCILIATION = "reconciliation", "Reconciliation (asked Stripe)"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=255, blank=True)
    payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    livemode = models.BooleanField(default=False)
    stripe_created = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PROCESSING)
    detail = models.CharField(max_length=500, blank=True)
    source = models.CharField(
        max_length=20,
        choices=Source.choices,
        default=Source.WEBHOOK,
        help_text="Reconciliation: applied after asking Stripe, because the webhook never came.",
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "Stripe webhook event"

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Payment(models.Model):
    """One Stripe payment (by its payment intent) and what Stripe said about it.

    Every handler of an event about a payment locks this row first (services._lock_payment),
    so a refund or a lost dispute and the checkout that paid cannot interleave: whichever
    comes second sees what the first recorded. It is created by the first event to mention
    the payment, which may well be the refund.
    """

    payment_intent = models.CharField(max_length=255, unique=True)
    hold = models.ForeignKey(
        SeatHold, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    refunded = models.BooleanField(default=False, help_text="Refunded in full at Stripe.")
    dispute_status = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Payment {self.payment_intent}"

    @property
    def taken_back(self) -> bool:
        """Refunded in full or lost in a dispute: it can pay for no seat."""
        return self.refunded or self.dispute_status == "lost"
