"""Use cases of the Friday groups on Zoom (issue 26): meetings, registrants, webhook events.

Without Zoom credentials (`zoom.enabled()` False) none of this runs and staff paste links as
before. With them:

- Scheduling, moving or changing a session queues `sync_meeting` through the outbox, in the
  transaction of the change (so it runs after commit, and again if the worker died). The task
  creates the meeting, or updates it, then registers every learner of the run. A call that
  still fails after the client's retries is recorded on the session (`zoom_state` "failed",
  `zoom_error`), shown in the admin, where the "retry" action queues the sync again; the
  session itself was saved long before.
- Deleting a session still to come queues `delete_meeting` with the meeting's id. A failure
  there raises, and the outbox tries again later (the session is gone, there is nothing to
  show it on); its admin lists what failed for good.
- An enrolment saved (new, refunded, cancelled) queues `sync_registrants` for the run's
  upcoming sessions (hooked in zoomgroups.apps), which adds and cancels registrants so that
  they are exactly the run's learners.
- Webhook events are verified by the view, stored once (`ZoomEvent.key`), and handled by
  `handle_event` in a task.

The sync functions lock the session row while they talk to Zoom, so two syncs of one session
(a quick second edit) run one after the other and never create two meetings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import secrets
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from outbox.services import queue_task
from zoomgroups import zoom
from zoomgroups.models import (
    Attendance,
    AttendanceCorrection,
    GroupSession,
    ZoomEvent,
    ZoomRegistrant,
    ZoomState,
)

logger = logging.getLogger(__name__)

ZOOM_FIELDS = ["zoom_meeting_id", "zoom_state", "zoom_error", "zoom_synced_at"]
PASSCODE_OK = re.compile(r"[A-Za-z0-9@_*-]{1,10}")
MAX_EVENT_AGE = dt.timedelta(minutes=5)
# Handled events name participants (names, emails): kept this long for staff to look into.
KEEP_EVENTS = dt.timedelta(days=90)
PARTICIPANT_EVENTS = {"meeting.participant_joined", "meeting.participant_left"}


# Queued from the changes (zoomgroups.services, the admin, the enrolment hook) -------------------


def queue_meeting_sync(session: GroupSession) -> bool:
    """Mark the session as being updated on Zoom and queue the sync; call inside the
    transaction of the change. False (nothing queued) without Zoom credentials."""
    if not zoom.enabled() or session.is_past():
        return False
    from zoomgroups.tasks import sync_zoom_meeting

    session.zoom_state, session.zoom_error = ZoomState.PENDING, ""
    GroupSession.objects.filter(pk=session.pk).update(zoom_state=ZoomState.PENDING, zoom_error="")
    queue_task(sync_zoom_meeting, session_id=session.pk)
    return True


def queue_meeting_delete(session: GroupSession) -> bool:
    """The session is being deleted: delete its meeting too, if it is still to come. The
    meeting id is read under the row lock, so a sync still running finishes first and the
    meeting it just created is not left behind."""
    if not zoom.enabled() or session.is_past():
        return False
    from zoomgroups.tasks import delete_zoom_meeting

    meeting_id = (
        GroupSession.objects.select_for_update()
        .filter(pk=session.pk)
        .values_list("zoom_meeting_id", flat=True)
        .first()
    )
    if not meeting_id:
        return False
    queue_task(delete_zoom_meeting, meeting_id=meeting_id)
    return True


def queue_registrant_syncs(*, cohort_id: int) -> int:
    """An enrolment of the run changed: bring the registrants of its upcoming meetings in
    line. Returns how many sessions were queued."""
    if not zoom.enabled():
        return 0
    from zoomgroups.tasks import sync_zoom_registrants

    ids = list(
        GroupSession.objects.filter(cohort_id=cohort_id, starts_at__gt=timezone.now())
        .exclude(zoom_meeting_id="")
        .values_list("pk", flat=True)
    )
    for session_id in ids:
        queue_task(sync_zoom_registrants, session_id=session_id)
    return len(ids)


def forget_registrations(*, user_id: int) -> int:
    """Account deletion: the person's registrations are deleted here and cancelled in Zoom
    (by a queued task, with the address as it is now), so their links stop working."""
    from zoomgroups.tasks import cancel_zoom_registrant

    rows = list(ZoomRegistrant.objects.filter(user_id=user_id).select_related("session", "user"))
    for row in rows:
        if zoom.enabled() and not row.session.is_past():
            queue_task(
                cancel_zoom_registrant,
                meeting_id=row.session.zoom_meeting_id,
                registrant_id=row.registrant_id,
                email=row.user.email,
            )
    ZoomRegistrant.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


# Run by the tasks --------------------------------------------------------------------------------


def _new_passcode() -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))


def _failed(session: GroupSession, exc: zoom.ZoomError, what: str) -> str:
    logger.warning("Zoom: %s of session %s failed: %s", what, session.pk, exc)
    session.zoom_state = ZoomState.FAILED
    session.zoom_error = f"{what}: {exc}"[:200]
    session.save(update_fields=["zoom_state", "zoom_error", "updated_at"])
    return "failed"


def sync_meeting(*, session_id: int) -> str:
    """Create the session's meeting, or update it to the session's time, topic and passcode
    (a meeting deleted in Zoom by hand is created anew), then sync the registrants."""
    if not zoom.enabled():
        return "zoom off"
    with transaction.atomic():
        session = GroupSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None:
            return "no such session"
        passcode = session.passcode if PASSCODE_OK.fullmatch(session.passcode) else _new_passcode()
        fields: dict[str, Any] = {
            "topic": session.topic,
            "start": session.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": session.duration_minutes,
            "passcode": passcode,
        }
        try:
            if session.zoom_meeting_id:
                try:
                    zoom.update_meeting(session.zoom_meeting_id, **fields)
                except zoom.NotFound:
                    session.zoom_meeting_id = ""
            if not session.zoom_meeting_id:
                meeting = zoom.create_meeting(reference=f"session {session.pk}", **fields)
                # The registrants of a meeting that no longer exists have dead links.
                ZoomRegistrant.objects.filter(session=session).delete()
                session.zoom_meeting_id = str(meeting["id"])
                session.join_url = str(meeting.get("join_url", ""))[:500]
        except zoom.ZoomError as exc:
            return _failed(session, exc, "Meeting")
        session.passcode = passcode
        session.zoom_state, session.zoom_error = ZoomState.SYNCED, ""
        session.zoom_synced_at = timezone.now()
        session.save(update_fields=[*ZOOM_FIELDS, "join_url", "passcode", "updated_at"])
    return sync_registrants(session_id=session_id)


def _names(user: Any) -> tuple[str, str]:
    first, _, last = (user.display_name or user.email.split("@")[0]).partition(" ")
    return first, last


def sync_registrants(*, session_id: int) -> str:
    """Make the meeting's registrants the run's learners: register the new ones (each gets a
    personal join link), cancel those whose access ended (refund, cancellation)."""
    from zoomgroups.services import enrolled_learners

    if not zoom.enabled():
        return "zoom off"
    with transaction.atomic():
        session = GroupSession.objects.select_for_update().filter(pk=session_id).first()
        if session is None or not session.zoom_meeting_id:
            return "no meeting"
        if session.is_past():
            return "past"
        learners = {user.pk: user for user in enrolled_learners(session.cohort_id)}
        registered = {
            r.user_id: r
            for r in ZoomRegistrant.objects.filter(session=session).select_related("user")
        }
        gone = [r for user_id, r in registered.items() if user_id not in learners]
        try:
            if gone:
                zoom.cancel_registrants(
                    session.zoom_meeting_id,
                    [{"id": r.registrant_id, "email": r.user.email} for r in gone],
                )
                ZoomRegistrant.objects.filter(pk__in=[r.pk for r in gone]).delete()
            for user_id, user in learners.items():
                if user_id in registered:
                    continue
                first, last = _names(user)
                answer = zoom.add_registrant(
                    session.zoom_meeting_id, email=user.email, first_name=first, last_name=last
                )
                ZoomRegistrant.objects.create(
                    session=session,
                    user=user,
                    registrant_id=str(answer["registrant_id"]),
                    join_url=str(answer["join_url"]),
                )
        except zoom.ZoomError as exc:
            return _failed(session, exc, "Registrants")
        if session.zoom_state == ZoomState.FAILED:
            session.zoom_state, session.zoom_error = ZoomState.SYNCED, ""
            session.save(update_fields=["zoom_state", "zoom_error", "updated_at"])
    return "synced"


def cancel_registrant(*, meeting_id: str, registrant_id: str, email: str) -> None:
    """Raises ZoomError while Zoom cannot be reached: the outbox tries again later."""
    if zoom.enabled():
        with contextlib.suppress(zoom.NotFound):  # the meeting is gone: so is the link
            zoom.cancel_registrants(meeting_id, [{"id": registrant_id, "email": email}])


def delete_meeting(*, meeting_id: str) -> None:
    """Raises ZoomError while Zoom cannot be reached: the outbox tries again later."""
    if zoom.enabled():
        zoom.delete_meeting(meeting_id)


# Webhook events ----------------------------------------------------------------------------------


def event_key(data: dict[str, Any]) -> str:
    canonical = json.dumps(
        [data.get("event"), data.get("event_ts"), data.get("payload")],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _object(data: dict[str, Any]) -> dict[str, Any]:
    payload = data.get("payload")
    obj = payload.get("object") if isinstance(payload, dict) else None
    return obj if isinstance(obj, dict) else {}


@transaction.atomic
def record_event(*, data: dict[str, Any]) -> tuple[ZoomEvent, bool]:
    """Store a verified event once and queue its handling; (the event, whether it is new)."""
    from zoomgroups.tasks import handle_zoom_event

    event_ts = data.get("event_ts")
    record, created = ZoomEvent.objects.get_or_create(
        key=event_key(data),
        defaults={
            "event": str(data["event"])[:100],
            "event_ts": event_ts if isinstance(event_ts, int) and abs(event_ts) < 2**62 else None,
            "meeting_id": str(_object(data).get("id", ""))[:32],
            "payload": data,
        },
    )
    if created:
        queue_task(handle_zoom_event, event_id=record.pk)
    return record, created


def purge_events(*, now: dt.datetime | None = None) -> int:
    """Daily: forget handled events older than KEEP_EVENTS."""
    cutoff = (now or timezone.now()) - KEEP_EVENTS
    deleted, _ = ZoomEvent.objects.filter(handled_at__isnull=False, received_at__lt=cutoff).delete()
    return deleted


def handle_event(*, event_id: int) -> str:
    """Handle a stored event once; returns (and records) what came of it."""
    with transaction.atomic():
        record = (
            ZoomEvent.objects.select_for_update()
            .filter(pk=event_id, handled_at__isnull=True)
            .first()
        )
        if record is None:
            return "already handled"
        try:
            outcome = _dispatch(record.event, _object(record.payload))
        # (A ZoomError goes through: the outbox handles the event again later.)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            outcome = f"malformed ({type(exc).__name__})"
        record.handled_at, record.outcome = timezone.now(), outcome[:200]
        record.save(update_fields=["handled_at", "outcome"])
        return outcome


def _dispatch(event: str, obj: dict[str, Any]) -> str:
    if event not in PARTICIPANT_EVENTS | {"recording.completed", "meeting.ended"}:
        return "ignored"
    meeting_id = str(obj["id"])
    session = GroupSession.objects.filter(zoom_meeting_id=meeting_id).first()
    if not meeting_id or session is None:
        return "unknown meeting"
    if event == "recording.completed":
        return attach_recording(session=session, obj=obj)
    if event == "meeting.ended":
        return fill_from_report(session=session, meeting_uuid=str(obj["uuid"]))
    return mark_participant(session=session, participant=obj["participant"])


def fill_from_report(*, session: GroupSession, meeting_uuid: str) -> str:
    """The meeting ended: its participant report fills the attendance that joined/left
    events missed. Zoom needs a few minutes to build the report; until then this raises
    ZoomError, and the outbox handles the event again later."""
    marked = 0
    for person in zoom.meeting_participants(meeting_uuid):
        outcome = mark_participant(
            session=session,
            participant={
                "registrant_id": person.get("registrant_id"),
                "email": person.get("user_email") or person.get("email"),
            },
        )
        marked += outcome == "attendance marked"
    return f"report: {marked} marked"


def attach_recording(*, session: GroupSession, obj: dict[str, Any]) -> str:
    """Zoom's share link and passcode on the session, and the learners told (once: the
    recording notice is sent once per session, see services.announce_recording). A link
    staff posted first is kept."""
    from zoomgroups.services import announce_recording

    share_url = str(obj.get("share_url") or "")[:500]
    try:
        URLValidator(schemes=["https"])(share_url)
    except ValidationError:
        return "no share link"
    locked = GroupSession.objects.select_for_update().get(pk=session.pk)
    if locked.recording_url:
        return "recording already posted"
    locked.recording_url = share_url
    locked.recording_passcode = str(obj.get("password") or "")[:50]
    locked.save(update_fields=["recording_url", "recording_passcode", "updated_at"])
    announce_recording(session=locked)
    return "recording attached"


def mark_participant(*, session: GroupSession, participant: dict[str, Any]) -> str:
    """A participant joined or left: they attended, if they are a learner of the run (by
    registrant id, then by email) and staff have not corrected their attendance."""
    from zoomgroups.services import enrolled_learners

    user_id = None
    registrant_id = str(participant.get("registrant_id") or "")
    if registrant_id:
        user_id = (
            ZoomRegistrant.objects.filter(session=session, registrant_id=registrant_id)
            .values_list("user_id", flat=True)
            .first()
        )
    email = str(participant.get("email") or "").strip()
    if user_id is None and email:
        user_id = (
            enrolled_learners(session.cohort_id)
            .filter(email__iexact=email)
            .values_list("pk", flat=True)
            .first()
        )
    if user_id is None:
        return "participant not matched"
    if AttendanceCorrection.objects.filter(session=session, user_id=user_id).exists():
        return "staff correction kept"
    _, created = Attendance.objects.get_or_create(
        session=session, user_id=user_id, defaults={"source": Attendance.Source.ZOOM}
    )
    return "attendance marked" if created else "attendance already marked"
