"""Issue 26, point 1 and 4: Zoom meetings follow the sessions staff schedule, move and delete,
from tasks run after commit, with retries; failures show in the admin with a retry action.
Against the fake Zoom of tests/fakezoom.py."""

import datetime as dt
import time

import pytest
import time_machine
from django.urls import reverse

from outbox.models import Message
from tests.zoomgroups.conftest import FRIDAY_NOON, JOIN_URL, make_session
from zoomgroups.models import GroupSession, ZoomRegistrant, ZoomState

pytestmark = pytest.mark.django_db

ADD = reverse("admin:zoomgroups_groupsession_add")
CHANGELIST = reverse("admin:zoomgroups_groupsession_changelist")


def form(cohort=None, **overrides) -> dict:
    data = {
        "starts_at_0": "2027-03-19",
        "starts_at_1": "12:00:00",
        "duration_minutes": "75",
        "topic": "Role of emotion",
        "notes": "",
        "join_url": "",
        "passcode": "",
        "recording_url": "",
        "recording_passcode": "",
    }
    if cohort is not None:
        data["cohort"] = cohort.pk
    return {**data, **overrides}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the block queues after commit (the outbox's jobs), as a worker would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_scheduling_in_the_admin_creates_the_meeting_after_commit(
    client_for, staff, cohort, learner, fake_zoom, committed
):
    with committed() as callbacks:
        response = client_for(staff).post(ADD, form(cohort))
        assert response.status_code == 302
        assert fake_zoom.meetings == {}  # nothing is called before the session is committed
    assert callbacks

    session = GroupSession.objects.get()
    (meeting,) = fake_zoom.meetings.values()
    assert session.zoom_meeting_id == str(meeting["id"])
    assert session.zoom_state == ZoomState.SYNCED
    assert session.join_url == meeting["join_url"]
    assert session.passcode == meeting["password"] and 1 <= len(session.passcode) <= 10
    assert meeting["start_time"] == "2027-03-19T16:00:00Z"  # noon in New York, in UTC
    assert meeting["duration"] == 75 and meeting["topic"] == "Role of emotion"
    assert meeting["settings"]["waiting_room"] is True
    assert meeting["settings"]["approval_type"] == 0  # registration required, approved at once
    assert meeting["settings"]["registrants_confirmation_email"] is False  # no link by Zoom mail
    assert list(fake_zoom.active_registrants(session.zoom_meeting_id)) == [learner.email]


def test_a_series_creates_one_meeting_per_session(client_for, staff, cohort, fake_zoom, committed):
    data = {
        "cohort": cohort.pk,
        "first_date": "2027-03-05",
        "start_time": "12:00",
        "count": "3",
        "skip_dates": "",
        "topic": "Friday group",
        "number_topics": "on",
        "duration_minutes": "75",
        "join_url": "",
        "passcode": "",
    }
    with committed():
        client_for(staff).post(reverse("admin:zoomgroups_groupsession_schedule"), data)

    ids = set(GroupSession.objects.values_list("zoom_meeting_id", flat=True))
    assert ids == set(fake_zoom.meetings) and len(ids) == 3


def test_moving_a_session_updates_its_meeting_and_keeps_the_links(
    client_for, staff, cohort, learner, fake_zoom, committed
):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    link = ZoomRegistrant.objects.get(user=learner).join_url
    shown = {"join_url": session.join_url, "passcode": session.passcode}  # as the form shows

    with committed():
        response = client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_change", args=[session.pk]),
            form(starts_at_0="2027-03-26", starts_at_1="13:30:00", topic="Moved", **shown),
        )
    assert response.status_code == 302

    session.refresh_from_db()
    meeting = fake_zoom.meetings[session.zoom_meeting_id]
    assert len(fake_zoom.meetings) == 1
    assert meeting["start_time"] == "2027-03-26T17:30:00Z" and meeting["topic"] == "Moved"
    assert session.zoom_state == ZoomState.SYNCED
    assert session.join_url == meeting["join_url"] and session.passcode == meeting["password"]
    assert ZoomRegistrant.objects.get(user=learner).join_url == link


def test_a_meeting_deleted_in_zoom_is_created_again_when_the_session_changes(
    staff, client_for, cohort, learner, fake_zoom, committed
):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    old = session.zoom_meeting_id
    fake_zoom.meetings.clear()

    with committed():
        client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_change", args=[session.pk]),
            form(starts_at_1="14:00:00"),
        )

    session.refresh_from_db()
    assert session.zoom_meeting_id in fake_zoom.meetings and session.zoom_meeting_id != old
    registrant = ZoomRegistrant.objects.get(user=learner)
    assert f"/w/{session.zoom_meeting_id}?" in registrant.join_url  # a link to the new one


def test_deleting_a_session_still_to_come_deletes_its_meeting(
    client_for, staff, cohort, fake_zoom, committed
):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    meeting_id = session.zoom_meeting_id

    with committed():
        client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_delete", args=[session.pk]), {"post": "yes"}
        )

    assert not GroupSession.objects.exists()
    assert meeting_id not in fake_zoom.meetings
    assert fake_zoom.calls_of("DELETE", rf"/meetings/{meeting_id}$")


def test_deleting_a_past_session_keeps_its_meeting_and_recordings(
    client_for, staff, cohort, fake_zoom, committed
):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(days=2)), committed():
        client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_delete", args=[session.pk]), {"post": "yes"}
        )
    assert session.zoom_meeting_id in fake_zoom.meetings


def test_rate_limits_and_server_errors_are_retried(cohort, learner, fake_zoom, committed):
    fake_zoom.fail(429, 503, 500)

    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()

    session.refresh_from_db()
    assert session.zoom_state == ZoomState.SYNCED
    assert len(fake_zoom.meetings) == 1 and len(fake_zoom.calls_of("POST", "/meetings$")) == 1


def test_a_failure_shows_on_the_session_and_the_retry_action_fixes_it(
    client_for, staff, cohort, learner, fake_zoom, committed
):
    fake_zoom.fail(503, 503, 503, 503)  # four tries, all refused
    with committed():
        response = client_for(staff).post(ADD, form(cohort, join_url=JOIN_URL))
    assert response.status_code == 302

    session = GroupSession.objects.get()  # saved regardless
    assert session.zoom_state == ZoomState.FAILED and not session.zoom_meeting_id
    assert session.join_url == JOIN_URL  # what staff pasted still works meanwhile
    page = client_for(staff).get(CHANGELIST).content.decode()
    assert "Failed: Meeting: Zoom answered 503" in page

    with committed():
        response = client_for(staff).post(
            CHANGELIST, {"action": "retry_zoom", "_selected_action": [session.pk]}
        )
    assert response.status_code == 302

    session.refresh_from_db()
    assert session.zoom_state == ZoomState.SYNCED and session.zoom_meeting_id in fake_zoom.meetings
    assert ZoomRegistrant.objects.filter(session=session, user=learner).exists()
    assert "Up to date" in client_for(staff).get(CHANGELIST).content.decode()


def test_a_failed_delete_is_retried_by_the_outbox(client_for, staff, cohort, fake_zoom, committed):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    fake_zoom.fail(500, 500, 500, 500)

    with committed():
        client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_delete", args=[session.pk]), {"post": "yes"}
        )

    job = Message.objects.get(name="zoomgroups.tasks.delete_zoom_meeting")
    assert job.status == Message.Status.PENDING and job.attempts == 1
    assert session.zoom_meeting_id in fake_zoom.meetings
    from outbox import services as outbox

    job.next_attempt_at = job.created_at
    job.save()
    assert outbox.deliver_due(seconds=5) == 1
    assert session.zoom_meeting_id not in fake_zoom.meetings


def test_the_token_is_reused_renewed_before_expiry_and_after_a_401(cohort, fake_zoom, committed):
    with committed():
        make_session(cohort, join_url="", passcode="")
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=7), join_url="", passcode="")
    assert fake_zoom.token_requests == 1

    fake_zoom.expire_tokens()  # revoked or expired early: the API says 401
    with committed():
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=14), join_url="")
    assert fake_zoom.token_requests == 2

    fake_zoom.token_lifetime = 1  # renewed by the client before it runs out
    fake_zoom.expire_tokens()
    with committed():
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=21), join_url="")
    time.sleep(0.6)
    with committed():
        make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=28), join_url="")
    assert fake_zoom.token_requests == 4
    assert GroupSession.objects.filter(zoom_state=ZoomState.SYNCED).count() == 5
    assert len(fake_zoom.meetings) == 5


def test_without_credentials_nothing_goes_to_zoom(client_for, staff, cohort, learner, committed):
    with committed():
        response = client_for(staff).post(ADD, form(cohort, join_url=JOIN_URL))
    assert response.status_code == 302

    session = GroupSession.objects.get()
    assert (session.zoom_state, session.zoom_meeting_id, session.join_url) == ("", "", JOIN_URL)
    assert not Message.objects.filter(name__contains="zoom").exists()
    assert not ZoomRegistrant.objects.exists()
    page = client_for(staff).get(CHANGELIST).content.decode()
    assert "Failed" not in page


def test_a_meeting_created_but_whose_answer_was_lost_is_not_created_twice(
    cohort, learner, fake_zoom, committed
):
    """Zoom created the meeting, then the gateway timed out (504): the retry finds the meeting
    by the session's reference in its agenda instead of creating a second one."""
    fake_zoom.lose_answers(1)  # the meetings list is read first, then the lost create
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()

    (meeting,) = fake_zoom.meetings.values()
    assert session.zoom_state == ZoomState.SYNCED
    assert session.zoom_meeting_id == str(meeting["id"])
    assert session.join_url == meeting["join_url"]
    assert session.passcode == meeting["password"]
    assert meeting["agenda"] == f"How Therapy Works Friday group (reference session {session.pk})"


def test_a_meeting_left_by_a_killed_worker_is_adopted_with_the_sessions_values(
    cohort, learner, fake_zoom, committed
):
    """A worker created the meeting and died before saving its id; the next sync finds it
    (past other meetings, over several pages of the list) and brings it to the session's
    time and passcode instead of making another."""
    from zoomgroups import zoom, zoom_sync

    with committed():
        others = [
            make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=7 * n))
            for n in range(1, 5)
        ]
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    orphan_id = session.zoom_meeting_id
    GroupSession.objects.filter(pk=session.pk).update(zoom_meeting_id="", passcode="")
    fake_zoom.meetings[orphan_id].update(password="Stale1", start_time="2027-01-01T00:00:00Z")
    # The meeting is last in the host's list: the page size is two.
    fake_zoom.meetings[orphan_id] = fake_zoom.meetings.pop(orphan_id)

    assert zoom_sync.sync_meeting(session_id=session.pk) == "synced"

    session.refresh_from_db()
    assert len(fake_zoom.meetings) == len(others) + 1
    assert session.zoom_meeting_id == orphan_id
    meeting = fake_zoom.meetings[orphan_id]
    assert meeting["password"] == session.passcode != "Stale1"
    assert meeting["start_time"] == "2027-03-19T16:00:00Z"
    assert len(fake_zoom.calls_of("GET", r"/users/[^/]+/meetings$")) >= 3  # paged
    assert zoom.find_meeting("session 0") is None
