"""Use cases of the Friday groups: scheduling under the per-cohort limit, RSVPs, attendance,
and the emails (reminders, "the recording is up", and "moved" or "cancelled")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import opt_out
from courses.models import Cohort, Enrollment
from outbox.services import queue_email, queue_task
from zoomgroups.models import (
    RSVP,
    Attendance,
    AttendanceCorrection,
    GroupSession,
    ReminderSent,
    capacity_message,
    format_in_zone,
    max_per_cohort,
    program_tz,
)

if TYPE_CHECKING:
    from accounts.models import User

SCHEDULE_FIELDS = {"starts_at", "duration_minutes", "topic"}
MOVED, CANCELLED = "moved", "cancelled"
REMINDER_LEADS = {
    ReminderSent.Kind.HOUR_BEFORE: (dt.timedelta(0), dt.timedelta(hours=1)),
    ReminderSent.Kind.DAY_BEFORE: (dt.timedelta(hours=1), dt.timedelta(hours=24)),
}


def fridays(
    *, first: dt.date, time: dt.time, count: int, skip: Iterable[dt.date] = ()
) -> list[dt.datetime]:
    """`count` start times on consecutive Fridays from `first` at `time` in the program's zone,
    leaving out the dates in `skip` (the series continues on the next Friday)."""
    skipped = set(skip)
    starts: list[dt.datetime] = []
    day = first
    while len(starts) < count:
        if day not in skipped:
            starts.append(dt.datetime.combine(day, time, tzinfo=program_tz()))
        day += dt.timedelta(days=7)
    return starts


@transaction.atomic
def schedule_sessions(
    *,
    cohort: Cohort,
    starts: Sequence[dt.datetime],
    topic: str,
    duration_minutes: int = 75,
    join_url: str = "",
    passcode: str = "",
    notes: str = "",
    number_topics: bool = False,
) -> list[GroupSession]:
    """Create sessions for `cohort`, all or none.

    The cohort row is locked, then the sessions are counted, so two staff members scheduling
    at once cannot pass the limit between them; the unique (cohort, slot) constraint backs it.
    """
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    limit = max_per_cohort()
    taken = set(GroupSession.objects.filter(cohort=cohort).values_list("slot", flat=True))
    if len(taken) + len(starts) > limit:
        raise ValidationError(capacity_message(len(taken), len(starts), limit))
    free = [slot for slot in range(1, limit + 1) if slot not in taken]
    created = []
    try:
        with transaction.atomic():
            for number, (start, slot) in enumerate(zip(starts, free, strict=False), start=1):
                session = GroupSession(
                    cohort=cohort,
                    slot=slot,
                    starts_at=start,
                    topic=f"{topic} {number}" if number_topics else topic,
                    duration_minutes=duration_minutes,
                    join_url=join_url,
                    passcode=passcode,
                    notes=notes,
                )
                session.full_clean()
                session.save()
                created.append(session)
    except IntegrityError as exc:
        raise ValidationError(capacity_message(len(taken), len(starts), limit)) from exc
    from zoomgroups import zoom_sync

    for session in created:
        zoom_sync.queue_meeting_sync(session)
    return created


@transaction.atomic
def add_session(*, session: GroupSession) -> GroupSession:
    """Save a new session built by a form (the admin's add page) under the same rules."""
    (created,) = schedule_sessions(
        cohort=session.cohort,
        starts=[session.starts_at],
        topic=session.topic,
        duration_minutes=session.duration_minutes,
        join_url=session.join_url,
        passcode=session.passcode,
        notes=session.notes,
    )
    session.pk, session.slot = created.pk, created.slot
    session.created_at, session.updated_at = created.created_at, created.updated_at
    session.zoom_state = created.zoom_state
    session._state.adding = False
    return created


@transaction.atomic
def save_session_changes(*, session: GroupSession, changed: Iterable[str]) -> None:
    """Save staff edits: a new time or topic bumps the calendar SEQUENCE; a new start time
    re-arms the 24-hour and 1-hour reminders (those already sent named the old time); a first
    recording link announces the recording. With Zoom, a new time, topic, length or passcode
    updates the meeting (after commit)."""
    from zoomgroups import zoom_sync

    changed = set(changed)
    if SCHEDULE_FIELDS & changed:
        session.bump_sequence()
    # Locked: a Zoom sync of this session finishes first, and what it wrote is kept.
    stored = GroupSession.objects.select_for_update().get(pk=session.pk)
    old_start = stored.starts_at
    kept = zoom_sync.ZOOM_FIELDS
    if stored.zoom_meeting_id:  # the meeting's link and passcode, unless staff changed them
        kept = [*kept, *({"join_url", "passcode"} - changed)]
    for field in kept:
        setattr(session, field, getattr(stored, field))
    session.save()
    if (SCHEDULE_FIELDS | {"passcode"}) & changed:
        zoom_sync.queue_meeting_sync(session)
    if "starts_at" in changed and old_start != session.starts_at:
        ReminderSent.objects.filter(session=session, kind__in=list(REMINDER_LEADS)).delete()
        if session.starts_at > timezone.now():
            announce_schedule_change(session=session, kind=MOVED, old_start=old_start)
    if session.recording_url:
        announce_recording(session=session)


def cancel_sessions(sessions: Iterable[GroupSession]) -> int:
    """Delete sessions (the admin's delete) and tell the learners of those still to come.
    Returns how many of them were still to come."""
    from zoomgroups import zoom_sync

    now = timezone.now()
    announced = 0
    with transaction.atomic():
        for session in sessions:
            if session.starts_at > now:
                announce_schedule_change(session=session, kind=CANCELLED)
                announced += 1
            zoom_sync.queue_meeting_delete(session)
            session.delete()
    return announced


def announce_schedule_change(
    *, session: GroupSession, kind: str, old_start: dt.datetime | None = None
) -> None:
    """Queue, with the change, the email telling the run's learners that a session moved
    (old and new time) or was cancelled. The task gets plain values, because a cancelled
    session no longer exists when it runs."""
    from zoomgroups.tasks import send_schedule_change_notices

    queue_task(
        send_schedule_change_notices,
        kind=kind,
        cohort_id=session.cohort_id,
        topic=session.topic,
        starts_at=session.starts_at.isoformat(),
        old_starts_at=old_start.isoformat() if old_start else None,
    )


@transaction.atomic
def send_schedule_change_notices(
    *, kind: str, cohort_id: int, topic: str, starts_at: str, old_starts_at: str | None
) -> int:
    """Email every learner of the run, each in their own time zone; returns how many."""
    cohort = Cohort.objects.select_related("course").get(pk=cohort_id)
    start = dt.datetime.fromisoformat(starts_at)
    old = dt.datetime.fromisoformat(old_starts_at) if old_starts_at else None
    sent = 0
    for user in enrolled_learners(cohort_id):
        queue_email(
            "zoomgroups_changed",
            [user.email],
            {
                "kind": kind,
                "name": user.get_short_name(),
                "topic": topic,
                "course": cohort.course.title,
                "cohort": cohort.name,
                "local_time": format_in_zone(start, user.tzinfo),
                "old_local_time": format_in_zone(old, user.tzinfo) if old else "",
                "time_zone": user.time_zone,
                "program_time": format_in_zone(start, program_tz()),
                "groups_url": settings.SITE_URL + reverse("zoomgroups:index"),
                "profile_url": settings.SITE_URL + reverse("accounts:profile"),
            },
        )
        sent += 1
    return sent


@transaction.atomic
def announce_recording(*, session: GroupSession) -> bool:
    """Email the cohort that the recording is up, once per session (a flag set under lock)."""
    locked = GroupSession.objects.select_for_update().get(pk=session.pk)
    if locked.recording_announced_at is not None or not locked.recording_url:
        return False
    locked.recording_announced_at = session.recording_announced_at = timezone.now()
    locked.save(update_fields=["recording_announced_at"])
    from zoomgroups.tasks import send_recording_notices

    queue_task(send_recording_notices, session_id=locked.pk)
    return True


@transaction.atomic
def set_rsvp(*, session: GroupSession, user: User, response: str) -> RSVP:
    rsvp, _ = RSVP.objects.update_or_create(
        session=session, user=user, defaults={"response": response}
    )
    return rsvp


def enrolled_learners(cohort_id: int) -> QuerySet[User]:
    """Users with an access-granting enrolment in the cohort (refunded and cancelled are out)."""
    from accounts.models import User

    return User.objects.filter(
        is_active=True,
        enrollments__cohort_id=cohort_id,
        enrollments__status__in=Enrollment.ACCESS_STATUSES,
    ).distinct()


@transaction.atomic
def record_attendance(*, session: GroupSession, user_ids: Iterable[int]) -> int:
    """Make the session's attendance exactly `user_ids` (limited to its enrolled learners).
    Each learner whose attendance this changes gets a staff correction, which Zoom's late
    events never overwrite."""
    allowed = set(enrolled_learners(session.cohort_id).values_list("id", flat=True))
    wanted = allowed & set(user_ids)
    current = set(Attendance.objects.filter(session=session).values_list("user_id", flat=True))
    Attendance.objects.filter(session=session).exclude(user_id__in=wanted).delete()
    Attendance.objects.bulk_create(
        [Attendance(session=session, user_id=uid) for uid in wanted], ignore_conflicts=True
    )
    now = timezone.now()
    for uid in (current ^ wanted) & allowed:
        AttendanceCorrection.objects.update_or_create(
            session=session, user_id=uid, defaults={"present": uid in wanted, "corrected_at": now}
        )
    return len(wanted)


def email_context(*, session: GroupSession, user: User, kind: str) -> dict[str, Any]:
    """What a notice may say: the time in the learner's zone, the topic and a link to the site.
    Never the join link or passcode."""
    return {
        "kind": kind,
        "name": user.get_short_name(),
        "topic": session.topic,
        "course": session.cohort.course.title,
        "cohort": session.cohort.name,
        "local_time": format_in_zone(session.starts_at, user.tzinfo),
        "time_zone": user.time_zone,
        "program_time": session.program_time(),
        "groups_url": settings.SITE_URL + reverse("zoomgroups:index"),
        "profile_url": settings.SITE_URL + reverse("accounts:profile"),
    }


def deliver_notice(*, session: GroupSession, user: User, kind: str) -> bool:
    """Send `kind` about `session` to `user` unless it was already sent. True if queued now.

    The ReminderSent row and the outbox message commit together, and the row's unique
    constraint refuses a second one, so a beat tick that runs twice, overlapping workers or a
    restart never email twice, and a crash never loses the email. A reminder the outbox
    could not send before the session starts is dropped: it would only confuse.
    """
    reminder = kind != ReminderSent.Kind.RECORDING
    off, headers = opt_out(user_id=user.pk, kind=setting_of(kind))
    try:
        with transaction.atomic():
            ReminderSent.objects.create(session=session, user=user, kind=kind)
            queue_email(
                f"zoomgroups_{'reminder' if reminder else 'recording'}",
                [user.email],
                {**email_context(session=session, user=user, kind=kind), **off},
                headers,
                send_by=session.starts_at if reminder else None,
            )
    except IntegrityError:
        return False
    return True


def setting_of(kind: str) -> str:
    """The switch of the email settings (accounts.EmailSettings) that turns `kind` off."""
    return "group_recordings" if kind == ReminderSent.Kind.RECORDING else "group_reminders"


def notice_recipients(session: GroupSession, kind: str) -> QuerySet[User]:
    """Enrolled learners not yet sent `kind`, except those who turned such emails off;
    reminders also skip those who said they can't come."""
    users = (
        enrolled_learners(session.cohort_id)
        .exclude(id__in=ReminderSent.objects.filter(session=session, kind=kind).values("user_id"))
        .exclude(**{f"email_settings__{setting_of(kind)}": False})
    )
    if kind != ReminderSent.Kind.RECORDING:
        users = users.exclude(
            id__in=RSVP.objects.filter(session=session, response=RSVP.Response.DECLINED).values(
                "user_id"
            )
        )
    return users


def send_due_reminders(*, now: dt.datetime | None = None) -> int:
    """Queue the 24-hour and 1-hour reminders that are due. Safe to run at any time, often.

    A session gets the 1-hour reminder while it starts within the hour, and the 24-hour one
    while it starts in one to 24 hours (so a session scheduled at short notice gets only the
    reminders that still make sense)."""
    now = now or timezone.now()
    sent = 0
    for kind, (nearest, furthest) in REMINDER_LEADS.items():
        sessions = GroupSession.objects.filter(
            starts_at__gt=now + nearest, starts_at__lte=now + furthest
        ).select_related("cohort__course")
        for session in sessions:
            for user in notice_recipients(session, kind):
                sent += deliver_notice(session=session, user=user, kind=kind)
    return sent


def send_recording_notices(*, session_id: int) -> int:
    session = GroupSession.objects.select_related("cohort__course").filter(pk=session_id).first()
    if session is None or not session.recording_url:
        return 0
    kind = ReminderSent.Kind.RECORDING
    return sum(
        deliver_notice(session=session, user=user, kind=kind)
        for user in notice_recipients(session, kind)
    )


def next_session_for(user: User | object, now: dt.datetime | None = None) -> GroupSession | None:
    """The next session `user` can attend (or the one going on now), for the dashboard, with
    only the fields its card shows."""
    now = now or timezone.now()
    for session in (
        GroupSession.objects.visible_to(user)
        .upcoming(now)
        .select_related("cohort__course")
        .only("id", "topic", "starts_at", "duration_minutes", "cohort__course__title")[:5]
    ):
        if session.ends_at > now:
            return session
    return None
