"""Friday Zoom groups: the live sessions of a trimester run, who comes, and what was sent.

Access rule (see DESIGN.md): a session's time, topic and recording are visible to learners with an
access-granting enrolment in its cohort, and to staff. The join link and passcode are secret:
they leave the server only through the join view (a redirect), inside the join window, to
enrolled learners of that cohort and staff — never in a list, feed, .ics file or email.

The number of sessions per cohort is capped twice: `clean()` and the service count under a row
lock on the cohort, and the database gives every session a numbered `slot` (unique per cohort,
between 1 and `SLOT_CEILING`), so no interleaving of writers can store an eleventh.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from courses.models import Cohort, Enrollment, granted_cohort_ids, is_program_staff

if TYPE_CHECKING:
    from accounts.models import User

# The database refuses a slot above this. ZOOMGROUPS_MAX_PER_COHORT may be lower; raising it
# above the ceiling needs a migration (a system check says so).
SLOT_CEILING = 10
TIME_FORMAT = "l, F j, Y, g:i A T"


def program_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PROGRAM_TIME_ZONE)


def max_per_cohort() -> int:
    return int(getattr(settings, "ZOOMGROUPS_MAX_PER_COHORT", 10))


def format_in_zone(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """“Friday, March 19, 2027, 12:00 PM EDT” in the zone `tz`."""
    return format_date(moment.astimezone(tz), TIME_FORMAT)


class GroupSessionQuerySet(models.QuerySet["GroupSession"]):
    def visible_to(self, user: User | object) -> GroupSessionQuerySet:
        """Sessions whose time, topic and recording `user` may see: their cohorts', or all for
        staff. (The join link has a stricter rule: `GroupSession.may_join`.)"""
        cohort_ids = granted_cohort_ids(user)
        return self.all() if cohort_ids is None else self.filter(cohort_id__in=cohort_ids)

    def upcoming(self, now: dt.datetime | None = None) -> GroupSessionQuerySet:
        """Sessions that have not ended yet (durations are at most four hours)."""
        now = now or timezone.now()
        return self.filter(starts_at__gt=now - dt.timedelta(minutes=GroupSession.MAX_MINUTES))


class ZoomState(models.TextChoices):
    PENDING = "pending", "Being updated"
    SYNCED = "synced", "Up to date"
    FAILED = "failed", "Failed"


class GroupSession(models.Model):
    """One live Friday group of a cohort, on Zoom."""

    MAX_MINUTES = 240

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="group_sessions")
    slot = models.PositiveSmallIntegerField(
        editable=False,
        help_text="Which of the cohort's sessions this is (1 to the limit); given on creation.",
    )
    starts_at = models.DateTimeField(
        "starts at", help_text="A Friday, in the program's time zone.", db_index=True
    )
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        default=75,
        validators=[MinValueValidator(15), MaxValueValidator(MAX_MINUTES)],
    )
    topic = models.CharField(max_length=200)
    join_url = models.URLField(
        "Zoom join link",
        max_length=500,
        blank=True,
        help_text="Secret: learners get it only through the Join button, shortly before start.",
    )
    passcode = models.CharField(
        max_length=50, blank=True, help_text="Secret, shown with the Join button only."
    )
    recording_url = models.URLField(
        "recording link",
        max_length=500,
        blank=True,
        help_text="Saving a link here emails the cohort that the recording is up (once).",
    )
    notes = models.TextField(
        "notes for learners", blank=True, help_text="Shown on the Friday groups page."
    )
    recording_passcode = models.CharField(
        "recording passcode",
        max_length=50,
        blank=True,
        help_text="Shown to the run's learners with the recording link.",
    )
    recording_announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Zoom (issue 26): empty without Zoom credentials, or until the meeting is created.
    zoom_meeting_id = models.CharField(max_length=32, blank=True, editable=False, db_index=True)
    zoom_state = models.CharField(
        "Zoom",
        max_length=10,
        choices=ZoomState.choices,
        blank=True,
        editable=False,
        help_text="Whether the Zoom meeting and its registrants match this session.",
    )
    zoom_error = models.CharField(max_length=200, blank=True, editable=False)
    zoom_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Calendar revision; rises when the time changes."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = "Friday group session"
        constraints = [
            models.UniqueConstraint(fields=["cohort", "slot"], name="groupsession_unique_slot"),
            models.CheckConstraint(
                condition=models.Q(slot__gte=1, slot__lte=SLOT_CEILING),
                name="groupsession_slot_in_range",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "starts_at"])]

    def __str__(self) -> str:
        if self.starts_at is None:
            return self.topic
        return f"{self.topic} ({self.starts_at.astimezone(program_tz()):%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("zoomgroups:session", kwargs={"pk": self.pk})

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)

    @property
    def join_opens_at(self) -> dt.datetime:
        return self.starts_at - dt.timedelta(minutes=settings.ZOOMGROUPS_JOIN_OPENS_MINUTES)

    def is_past(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.ends_at

    def join_window_open(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(self.join_url) and self.join_opens_at <= now < self.ends_at

    def may_join(self, user: User | object, now: dt.datetime | None = None) -> bool:
        """Whether `user` may have the join link now: staff, or an access-granting enrolment
        in this cohort — and only inside the join window."""
        if not self.join_window_open(now):
            return False
        if is_program_staff(user):
            return True
        if not getattr(user, "is_authenticated", False):
            return False
        return (
            Enrollment.objects.for_user(user)
            .granting_access()
            .filter(cohort_id=self.cohort_id)
            .exists()
        )

    def program_time(self) -> str:
        return format_in_zone(self.starts_at, program_tz())

    def clean(self) -> None:
        super().clean()
        if self.starts_at is not None:
            local = self.starts_at.astimezone(program_tz())
            if local.weekday() != 4:
                raise ValidationError(
                    {
                        "starts_at": (
                            f"Friday groups start on a Friday in the program's time zone "
                            f"({settings.PROGRAM_TIME_ZONE}); {local:%Y-%m-%d %H:%M} is a "
                            f"{local:%A} there."
                        )
                    }
                )
        if self._state.adding and self.cohort_id is not None:
            self.check_capacity(adding=1)

    def check_capacity(self, *, adding: int) -> None:
        """Refuse if the cohort would have more than the allowed number of sessions.

        Inside a transaction (the admin's add view and the services run in one) the cohort row
        is locked first, so two people adding at once are counted one after the other.
        """
        limit = max_per_cohort()
        if connection.in_atomic_block:
            Cohort.objects.select_for_update().filter(pk=self.cohort_id).first()
        existing = GroupSession.objects.filter(cohort_id=self.cohort_id).count()
        if existing + adding > limit:
            raise ValidationError(capacity_message(existing, adding, limit))

    def bump_sequence(self) -> None:
        self.sequence += 1


def capacity_message(existing: int, adding: int, limit: int) -> str:
    if existing >= limit:
        return (
            f"This trimester run already has {existing} Friday groups, the most allowed "
            f"({limit}). Delete one before adding another."
        )
    return (
        f"This trimester run has {existing} Friday groups; adding {adding} would make "
        f"{existing + adding}, more than the {limit} allowed. Nothing was scheduled."
    )


class RSVP(models.Model):
    """A learner's answer for one session: attending or can't make it."""

    class Response(models.TextChoices):
        ATTENDING = "attending", "Attending"
        DECLINED = "declined", "Can't make it"

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_rsvps"
    )
    response = models.CharField(max_length=10, choices=Response.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "RSVP"
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="rsvp_one_per_user_session")
        ]
        indexes = [models.Index(fields=["user", "session"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_response_display()}"


class Attendance(models.Model):
    """A learner attended a session (marked by staff, or from Zoom's participant events);
    counts toward their 10."""

    class Source(models.TextChoices):
        STAFF = "staff", "Staff"
        ZOOM = "zoom", "Zoom"

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_attendances"
    )
    marked_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=5, choices=Source.choices, default=Source.STAFF)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="attendance_one_per_user_session"
            )
        ]
        indexes = [models.Index(fields=["user", "session"])]

    def __str__(self) -> str:
        return f"{self.user} attended {self.session}"


class AttendanceCorrection(models.Model):
    """Staff changed a learner's attendance on the checklist (ticked or unticked them).
    Zoom's events never change the attendance of a learner with a correction: a late
    "joined" event cannot undo an "absent" that staff decided."""

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="corrections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance_corrections"
    )
    present = models.BooleanField()
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"], name="correction_one_per_user_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {'present' if self.present else 'absent'} (staff)"


class ZoomRegistrant(models.Model):
    """A learner registered for a session's Zoom meeting, with their personal join link
    (secret like the shared one: it leaves the server only through the join view)."""

    session = models.ForeignKey(
        GroupSession, on_delete=models.CASCADE, related_name="zoom_registrants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="zoom_registrations"
    )
    registrant_id = models.CharField(max_length=64, db_index=True)
    join_url = models.URLField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="registrant_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} registered for {self.session}"


class ZoomEvent(models.Model):
    """A verified Zoom webhook event, stored before it is handled (in a Celery task).

    Zoom's events have no id of their own, so `key` is a SHA-256 of the event name, its
    `event_ts` and the whole `payload`: Zoom's redeliveries and replayed requests (the same
    body) collapse into one row by the unique constraint, while two different events of the
    same millisecond (two participants joining) stay apart.
    """

    key = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=100)
    event_ts = models.BigIntegerField(null=True)
    meeting_id = models.CharField(max_length=32, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "Zoom event"

    def __str__(self) -> str:
        return f"{self.event} ({self.meeting_id or '-'})"


class ReminderSent(models.Model):
    """One row per email of a kind sent (or about to be) to a learner about a session.

    The unique constraint is what makes reminders exactly-once-or-never: the row is inserted
    before the email is queued, and a second insert fails.
    """

    class Kind(models.TextChoices):
        DAY_BEFORE = "day", "24 hours before"
        HOUR_BEFORE = "hour", "1 hour before"
        RECORDING = "recording", "Recording is up"

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="reminders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_reminders"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "email sent"
        verbose_name_plural = "emails sent"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "kind"], name="reminder_once_per_user_session_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.user}"
