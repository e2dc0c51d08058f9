"""Issue 26, point 2: every learner of the run is a registrant of each meeting with a personal
join link, reached only through the Join button inside the join window; enrolments added,
refunded or cancelled later change the registrants. Against tests/fakezoom.py."""

import datetime as dt

import pytest
import time_machine

from courses import services as course_services
from courses.models import Enrollment
from tests import factories
from tests.zoomgroups.conftest import FRIDAY_NOON, make_session
from zoomgroups.models import ZoomRegistrant, ZoomState

pytestmark = pytest.mark.django_db

IN_WINDOW = FRIDAY_NOON - dt.timedelta(minutes=5)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def zoomed(cohort, learner, fake_zoom, committed):
    """A session on Zoom, its learner registered."""
    with committed():
        session = make_session(cohort, join_url="", passcode="")
    session.refresh_from_db()
    assert session.zoom_state == ZoomState.SYNCED
    return session


def test_each_learner_joins_with_their_own_link_inside_the_window(
    client_for, learner, cohort, zoomed, fake_zoom, committed
):
    comped = factories.make_user("comped@example.com", display_name="Cam Comped")
    with committed():
        factories.enrol(comped, cohort, status=Enrollment.Status.COMPED)
    mine = ZoomRegistrant.objects.get(user=learner).join_url
    theirs = ZoomRegistrant.objects.get(user=comped).join_url
    assert mine != theirs and mine != zoomed.join_url
    assert set(fake_zoom.active_registrants(zoomed.zoom_meeting_id)) == {
        learner.email,
        comped.email,
    }
    join = f"/groups/{zoomed.pk}/join/"

    with time_machine.travel(FRIDAY_NOON - dt.timedelta(hours=2), tick=False):
        early = client_for(learner).get(join)
    with time_machine.travel(IN_WINDOW, tick=False):
        c = client_for(learner)
        page = c.get("/groups/").content.decode()
        response = c.get(join)

    assert early.status_code == 302 and early["Location"].startswith("/groups/")
    assert response.status_code == 302 and response["Location"] == mine
    for link in (mine, theirs, zoomed.join_url):
        assert link.split("?")[1] not in page  # never written into a page
    assert f"/groups/{zoomed.pk}/join/" in page


def test_staff_join_with_the_meetings_own_link(client_for, staff, zoomed):
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client_for(staff).get(f"/groups/{zoomed.pk}/join/")
    assert response["Location"] == zoomed.join_url


def test_a_new_enrolment_registers_the_learner_for_upcoming_meetings_only(
    cohort, zoomed, fake_zoom, committed
):
    with committed():
        past = make_session(cohort, starts_at=FRIDAY_NOON - dt.timedelta(days=35), join_url="")
    past.refresh_from_db()
    newcomer = factories.make_user("new@example.com", display_name="Nia New")

    with time_machine.travel(FRIDAY_NOON - dt.timedelta(days=2), tick=False), committed():
        factories.enrol(newcomer, cohort)  # after the first session, before the second

    registrant = ZoomRegistrant.objects.get(user=newcomer)
    assert registrant.session == zoomed
    assert newcomer.email in fake_zoom.active_registrants(zoomed.zoom_meeting_id)
    assert newcomer.email not in fake_zoom.active_registrants(past.zoom_meeting_id)


@pytest.mark.parametrize("status", [Enrollment.Status.REFUNDED, Enrollment.Status.CANCELLED])
def test_a_refund_or_cancellation_cancels_the_registration(
    client_for, learner, zoomed, fake_zoom, committed, status
):
    enrollment = Enrollment.objects.get(user=learner)

    with committed():
        course_services.end_access(enrollment_id=enrollment.pk, status=status)

    assert not ZoomRegistrant.objects.filter(user=learner).exists()
    assert learner.email not in fake_zoom.active_registrants(zoomed.zoom_meeting_id)
    with time_machine.travel(IN_WINDOW, tick=False):
        assert client_for(learner).get(f"/groups/{zoomed.pk}/join/").status_code == 404


def test_a_registrant_zoom_refuses_shows_on_the_session_and_is_retried(
    client_for, staff, cohort, zoomed, fake_zoom, committed
):
    newcomer = factories.make_user("new@example.com", display_name="Nia New")
    fake_zoom.fail(500, 500, 500, 500)
    with committed():
        factories.enrol(newcomer, cohort)

    zoomed.refresh_from_db()
    assert zoomed.zoom_state == ZoomState.FAILED
    assert zoomed.zoom_error.startswith("Registrants: Zoom answered 500")
    assert not ZoomRegistrant.objects.filter(user=newcomer).exists()

    with committed():
        client_for(staff).post(
            "/admin/zoomgroups/groupsession/",
            {"action": "retry_zoom", "_selected_action": [zoomed.pk]},
        )
    zoomed.refresh_from_db()
    assert zoomed.zoom_state == ZoomState.SYNCED
    assert ZoomRegistrant.objects.filter(user=newcomer, session=zoomed).exists()
    assert len(fake_zoom.meetings) == 1


def test_without_credentials_the_shared_link_is_used_as_today(client_for, learner, session):
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client_for(learner).get(f"/groups/{session.pk}/join/")
    assert response["Location"] == session.join_url
    assert not ZoomRegistrant.objects.exists()


def test_deleting_the_account_cancels_the_registrations_in_zoom(
    learner, zoomed, fake_zoom, committed
):
    from accounts.services import delete_account

    with committed():
        delete_account(user=learner, keep_forum_posts=False)

    assert not ZoomRegistrant.objects.exists()
    assert fake_zoom.active_registrants(zoomed.zoom_meeting_id) == {}
