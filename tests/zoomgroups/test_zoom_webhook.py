"""Issue 26, point 3: POST /zoom/webhook/ verifies Zoom's signature and timestamp, answers the
URL validation challenge, stores each event once and handles it in a task: recordings are
attached and announced once, participants fill attendance without undoing staff corrections."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tests.fakezoom import (
    WEBHOOK_SECRET,
    deliver,
    event,
    meeting_ended,
    participant,
    recording_completed,
    send,
    signed_headers,
)
from tests.zoomgroups.conftest import FRIDAY_NOON, make_session
from zoomgroups.models import Attendance, AttendanceCorrection, GroupSession, ZoomEvent

pytestmark = pytest.mark.django_db

URL = "/zoom/webhook/"
AFTER = FRIDAY_NOON + dt.timedelta(hours=2)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def zoomed(cohort, learner, fake_zoom, committed):
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    return session


def post(client, committed, data, **kwargs):
    with committed():
        return deliver(client, data, **kwargs)


# Verification ---


def test_the_url_validation_challenge_is_answered(client, fake_zoom):
    data = event("endpoint.url_validation", {})
    data["payload"] = {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"}

    response = deliver(client, data)

    assert response.status_code == 200
    expected = hmac.new(WEBHOOK_SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256)
    assert response.json() == {
        "plainToken": "qgg8vlvZRS6UYooatFL8Aw",
        "encryptedToken": expected.hexdigest(),
    }
    assert not ZoomEvent.objects.exists()


def test_a_wrong_signature_is_401_and_nothing_is_stored(client, zoomed):
    data = recording_completed(zoomed.zoom_meeting_id)
    assert deliver(client, data, secret="not-the-secret").status_code == 401
    body = json.dumps(data).encode()
    headers = signed_headers(body)
    tampered = body.replace(b"rec-pass", b"rec-pasS")
    response = client.post(
        URL,
        tampered,
        content_type="application/json",
        HTTP_X_ZM_SIGNATURE=headers["x-zm-signature"],
        HTTP_X_ZM_REQUEST_TIMESTAMP=headers["x-zm-request-timestamp"],
    )
    assert response.status_code == 401
    assert client.post(URL, body, content_type="application/json").status_code == 401
    assert not ZoomEvent.objects.exists()


@pytest.mark.parametrize("age", [301, -301, 86400])
def test_a_stale_or_future_timestamp_is_401(client, zoomed, age):
    response = deliver(client, recording_completed(zoomed.zoom_meeting_id), age=age)
    assert response.status_code == 401
    assert not ZoomEvent.objects.exists()


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"payload": {}}', b"\xff\xfe", b'{"event": 5}', b"null"]
)
def test_a_signed_body_that_is_no_event_is_400(client, fake_zoom, body):
    assert deliver(client, body).status_code == 400
    assert not ZoomEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"event": "x\\u0000", "payload": {}}',  # PostgreSQL refuses NUL in jsonb
        b'{"event": "meeting.ended", "event_ts": 1e400, "payload": {}}',  # Infinity
        b'{"event": "meeting.ended", "payload": {"object": {"id": NaN}}}',
    ],
)
def test_a_signed_body_postgresql_cannot_store_is_400_not_500(client, fake_zoom, body):
    assert deliver(client, body).status_code == 400


def test_without_the_secret_token_the_endpoint_is_404(client):
    assert deliver(client, meeting_ended("1")).status_code == 404


def test_get_is_405(client, fake_zoom):
    assert client.get(URL).status_code == 405


# Storage: once per event ---


def test_a_replayed_or_redelivered_event_is_stored_and_handled_once(
    client, zoomed, mailoutbox, committed
):
    data = recording_completed(zoomed.zoom_meeting_id)

    first = post(client, committed, data)
    again = post(client, committed, data)  # Zoom's retry, or a replay within five minutes

    assert first.json() == {"received": True, "duplicate": False}
    assert again.json() == {"received": True, "duplicate": True}
    assert ZoomEvent.objects.count() == 1
    assert len(mailoutbox) == 1


def test_two_participants_in_the_same_millisecond_are_two_events(
    client, zoomed, learner, cohort, committed
):
    other = factories.make_user("second@example.com", display_name="Sam Second")
    factories.enrol(other, cohort)
    a = participant(zoomed.zoom_meeting_id, email=learner.email)
    b = participant(zoomed.zoom_meeting_id, email=other.email)
    b["event_ts"] = a["event_ts"]

    post(client, committed, a)
    post(client, committed, b)

    assert ZoomEvent.objects.count() == 2
    assert set(Attendance.objects.values_list("user_id", flat=True)) == {learner.pk, other.pk}


# recording.completed ---


def test_a_recording_is_attached_and_the_learners_told_once(
    client_for, client, zoomed, learner, mailoutbox, committed
):
    with time_machine.travel(AFTER, tick=False):
        post(client, committed, recording_completed(zoomed.zoom_meeting_id, password="Rec123"))
        # a second recording of the same meeting (someone restarted it) changes nothing
        post(client, committed, recording_completed(zoomed.zoom_meeting_id, share_url=""))
        page = client_for(learner).get("/groups/").content.decode()

    zoomed.refresh_from_db()
    share = f"https://zoom.example/rec/share/{zoomed.zoom_meeting_id}"
    assert (zoomed.recording_url, zoomed.recording_passcode) == (share, "Rec123")
    assert [m.to for m in mailoutbox] == [[learner.email]]
    body = mailoutbox[0].body + str(mailoutbox[0].alternatives)
    assert share not in body and "Rec123" not in body  # the email says only that it is up
    assert share in page and "Rec123" in page
    outcomes = list(ZoomEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["recording attached", "recording already posted"]


def test_a_recording_before_the_meeting_ended_is_attached_and_the_end_changes_nothing(
    client, zoomed, learner, mailoutbox, committed, fake_zoom
):
    meeting = zoomed.zoom_meeting_id
    fake_zoom.reports[f"uuid-{meeting}=="] = []  # nobody in Zoom's report
    ended = meeting_ended(meeting)
    late_join = participant(meeting, email=learner.email)
    late_join["event_ts"] = ended["event_ts"] - 5000  # sent before, delivered after

    post(client, committed, recording_completed(meeting))
    post(client, committed, ended)
    post(client, committed, late_join)

    zoomed.refresh_from_db()
    assert zoomed.recording_url and len(mailoutbox) == 1
    assert Attendance.objects.filter(user=learner, source=Attendance.Source.ZOOM).exists()
    outcomes = list(ZoomEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["recording attached", "report: 0 marked", "attendance marked"]


def test_an_event_for_an_unknown_meeting_is_stored_and_ignored(
    client, zoomed, learner, committed, mailoutbox
):
    response = post(client, committed, recording_completed("99999999999"))
    post(client, committed, participant("99999999999", email=learner.email))

    assert response.status_code == 200
    assert list(ZoomEvent.objects.values_list("outcome", flat=True)) == ["unknown meeting"] * 2
    assert not Attendance.objects.exists() and not mailoutbox
    zoomed.refresh_from_db()
    assert not zoomed.recording_url


def test_a_recording_without_an_https_share_link_is_not_attached(client, zoomed, committed):
    post(client, committed, recording_completed(zoomed.zoom_meeting_id, share_url="javascript:x"))
    zoomed.refresh_from_db()
    assert not zoomed.recording_url
    assert ZoomEvent.objects.get().outcome == "no share link"


def test_a_malformed_event_is_recorded_not_retried_forever(client, zoomed, committed):
    data = event("meeting.participant_joined", {"id": zoomed.zoom_meeting_id})  # no participant
    assert post(client, committed, data).status_code == 200
    assert ZoomEvent.objects.get().outcome == "malformed (KeyError)"


# Participants and attendance ---


def test_participants_are_matched_by_registrant_id_then_by_email(
    client, zoomed, learner, cohort, committed
):
    registrant = zoomed.zoom_registrants.get(user=learner)
    comped = factories.make_user("comped@example.com", display_name="Cam Comped")
    factories.enrol(comped, cohort)  # no Zoom sync here: no registrant, matched by email
    meeting = zoomed.zoom_meeting_id

    post(
        client,
        committed,
        participant(meeting, registrant_id=registrant.registrant_id, email="else@x.test"),
    )
    post(client, committed, participant(meeting, email="COMPED@example.com", joined=False))
    post(client, committed, participant(meeting, email="stranger@example.com"))

    attended = Attendance.objects.filter(session=zoomed, source=Attendance.Source.ZOOM)
    assert set(attended.values_list("user_id", flat=True)) == {learner.pk, comped.pk}
    assert ZoomEvent.objects.filter(outcome="participant not matched").count() == 1


def test_a_staff_correction_is_never_overwritten_by_a_late_event(
    client_for, client, staff, zoomed, learner, committed
):
    meeting = zoomed.zoom_meeting_id
    post(client, committed, participant(meeting, email=learner.email))
    assert Attendance.objects.filter(user=learner).exists()

    # Staff untick the learner (they joined by mistake and left at once)
    checklist = reverse("admin:zoomgroups_groupsession_attendance", args=[zoomed.pk])
    # (a browser's form always sends its CSRF token, so no ticks is still a bound form)
    client_for(staff).post(checklist, {"attended": [], "csrfmiddlewaretoken": "x"})
    assert not Attendance.objects.filter(user=learner).exists()
    assert AttendanceCorrection.objects.get(user=learner).present is False

    post(client, committed, participant(meeting, email=learner.email, joined=False))
    post(client, committed, participant(meeting, email=learner.email))

    assert not Attendance.objects.filter(user=learner).exists()
    assert ZoomEvent.objects.filter(outcome="staff correction kept").count() == 2


def test_a_moved_session_keeps_its_meeting_and_events_reach_it(
    client_for, client, staff, zoomed, learner, committed
):
    with committed():
        client_for(staff).post(
            reverse("admin:zoomgroups_groupsession_change", args=[zoomed.pk]),
            {
                "starts_at_0": "2027-03-26",
                "starts_at_1": "12:00:00",
                "duration_minutes": "75",
                "topic": zoomed.topic,
                "join_url": zoomed.join_url,
                "passcode": zoomed.passcode,
            },
        )
    moved = GroupSession.objects.get(pk=zoomed.pk)
    assert moved.starts_at.date() == dt.date(2027, 3, 26)
    assert moved.zoom_meeting_id == zoomed.zoom_meeting_id

    post(client, committed, participant(moved.zoom_meeting_id, email=learner.email))
    assert Attendance.objects.filter(session=moved, user=learner).exists()


# Over real HTTP, as Zoom sends them ---


@pytest.mark.django_db(transaction=True)
def test_events_sent_over_http_are_verified_stored_and_handled(
    live_server, cohort, learner, fake_zoom
):
    session = make_session(cohort, join_url="", passcode="")  # committed: the sync ran
    session.refresh_from_db()
    assert session.zoom_meeting_id

    good = send(live_server.url, participant(session.zoom_meeting_id, email=learner.email))
    bad = send(live_server.url, meeting_ended(session.zoom_meeting_id), secret="wrong")
    stale = send(live_server.url, meeting_ended(session.zoom_meeting_id), age=600)

    assert (good.status_code, bad.status_code, stale.status_code) == (200, 401, 401)
    assert ZoomEvent.objects.get().outcome == "attendance marked"
    assert Attendance.objects.filter(session=session, user=learner).exists()


def test_the_checklist_says_who_joined_on_zoom(
    client_for, client, staff, zoomed, learner, committed
):
    post(client, committed, participant(zoomed.zoom_meeting_id, email=learner.email))
    page = client_for(staff).get(
        reverse("admin:zoomgroups_groupsession_attendance", args=[zoomed.pk])
    )
    assert "joined on Zoom" in page.content.decode()


def test_handled_events_are_forgotten_after_ninety_days(client, zoomed, learner, committed):
    from zoomgroups import zoom_sync

    post(client, committed, participant(zoomed.zoom_meeting_id, email=learner.email))
    post(client, committed, meeting_ended(zoomed.zoom_meeting_id))
    old, recent = ZoomEvent.objects.order_by("pk")
    ZoomEvent.objects.filter(pk=old.pk).update(received_at=old.received_at - dt.timedelta(days=91))

    assert zoom_sync.purge_events() == 1
    assert list(ZoomEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert Attendance.objects.filter(user=learner).exists()  # what it did stays


def test_the_participant_report_fills_attendance_when_the_meeting_ends(
    client, zoomed, learner, cohort, fake_zoom, committed
):
    comped = factories.make_user("comped@example.com", display_name="Cam Comped")
    corrected = factories.make_user("corrected@example.com", display_name="Cora Corrected")
    for user in (comped, corrected):
        factories.enrol(user, cohort)
    AttendanceCorrection.objects.create(session=zoomed, user=corrected, present=False)
    ended = meeting_ended(zoomed.zoom_meeting_id)
    uuid = "/Ab//cD=="  # Zoom wants such a UUID encoded twice
    ended["payload"]["object"]["uuid"] = uuid
    registrant = zoomed.zoom_registrants.get(user=learner)
    fake_zoom.reports[uuid] = [
        {"name": "Lee", "user_email": "", "registrant_id": registrant.registrant_id},
        {"name": "Cam", "user_email": "COMPED@example.com"},
        {"name": "Cora", "user_email": "corrected@example.com"},
        {"name": "Someone", "user_email": "someone@else.test"},
        {"name": "Cam again", "user_email": "comped@example.com"},
    ]

    post(client, committed, ended)

    attended = Attendance.objects.filter(session=zoomed, source=Attendance.Source.ZOOM)
    assert set(attended.values_list("user_id", flat=True)) == {learner.pk, comped.pk}
    assert ZoomEvent.objects.get().outcome == "report: 2 marked"
    assert len(fake_zoom.calls_of("GET", "/participants$")) == 3  # three pages of two


def test_a_report_not_ready_yet_is_fetched_again_later(
    client, zoomed, learner, fake_zoom, committed
):
    from outbox import services as outbox
    from outbox.models import Message

    ended = meeting_ended(zoomed.zoom_meeting_id)
    post(client, committed, ended)  # the report is not there yet: Zoom says 404

    record = ZoomEvent.objects.get()
    assert record.handled_at is None
    job = Message.objects.get(name="zoomgroups.tasks.handle_zoom_event")
    assert job.status == Message.Status.PENDING and job.attempts == 1

    fake_zoom.reports[f"uuid-{zoomed.zoom_meeting_id}=="] = [{"user_email": learner.email}]
    Message.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    with committed():
        assert outbox.deliver_due(seconds=5) == 1

    record.refresh_from_db()
    assert record.outcome == "report: 1 marked"
    assert Attendance.objects.filter(session=zoomed, user=learner).exists()
