"""Issue 26: races on PostgreSQL with real threads. Two syncs of one session (a quick second
edit, a redelivered job) create one meeting; one event delivered twice at once is stored and
handled once."""

import time

import pytest
from django.test import Client

from tests.fakezoom import deliver, participant
from tests.threads import run_together
from tests.zoomgroups.conftest import make_session
from zoomgroups import services, zoom_sync
from zoomgroups.models import Attendance, GroupSession, ZoomEvent, ZoomRegistrant

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_syncs_of_one_session_create_one_meeting(cohort, learner, fake_zoom):
    session = make_session(cohort, join_url="", passcode="")  # committed: synced at once
    GroupSession.objects.filter(pk=session.pk).update(zoom_meeting_id="")
    ZoomRegistrant.objects.all().delete()
    fake_zoom.meetings.clear()
    fake_zoom.delay = 0.2

    results = run_together([lambda: zoom_sync.sync_meeting(session_id=session.pk)] * 2)

    assert results == ["synced", "synced"]
    assert len(fake_zoom.meetings) == 1
    session.refresh_from_db()
    assert session.zoom_meeting_id in fake_zoom.meetings
    assert ZoomRegistrant.objects.filter(session=session, user=learner).count() == 1
    assert len(fake_zoom.active_registrants(session.zoom_meeting_id)) == 1


def test_one_event_delivered_twice_at_once_is_handled_once(cohort, learner, fake_zoom):
    session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    data = participant(session.zoom_meeting_id, email=learner.email)

    responses = run_together([lambda: deliver(Client(), data)] * 4)

    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json()["duplicate"] for r in responses) == [False, True, True, True]
    record = ZoomEvent.objects.get()
    assert record.outcome == "attendance marked"
    assert Attendance.objects.filter(session=session, user=learner).count() == 1


def test_deleting_a_session_while_its_meeting_is_created_leaves_no_meeting(cohort, fake_zoom):
    session = make_session(cohort, join_url="", passcode="")
    GroupSession.objects.filter(pk=session.pk).update(zoom_meeting_id="")
    fake_zoom.meetings.clear()
    fake_zoom.calls.clear()
    stale = GroupSession.objects.get(pk=session.pk)  # as the admin's delete page loaded it
    fake_zoom.delay = 0.3

    def delete_soon():
        time.sleep(0.1)  # the sync holds the row by now
        return services.cancel_sessions([stale])

    results = run_together([lambda: zoom_sync.sync_meeting(session_id=session.pk), delete_soon])

    assert results[1] == 1  # (the sync then finds no session to register learners for)
    assert not GroupSession.objects.exists()
    assert len(fake_zoom.calls_of("POST", "/meetings$")) == 1
    assert fake_zoom.meetings == {}  # created, then deleted after the sync let go
