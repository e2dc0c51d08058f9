"""Staff move or cancel a session in the admin: its run's learners are told by email, each in
their own time zone, without the join link."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tests.zoomgroups.conftest import FRIDAY_NOON, assert_no_secret, make_session
from tests.zoomgroups.test_admin import one
from zoomgroups.models import GroupSession

pytestmark = pytest.mark.django_db

BEFORE = FRIDAY_NOON - dt.timedelta(days=10)


@pytest.fixture
def london_learner(learner):
    learner.time_zone = "Europe/London"
    learner.save()
    return learner


@pytest.fixture
def admin_post(client_for, staff, django_capture_on_commit_callbacks):
    """Post as staff ten days before the session (signed in then, so the session is fresh)."""

    def post(url: str, data: dict):
        with (
            time_machine.travel(BEFORE, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return client_for(staff).post(url, data, follow=True)

    return post


def change_url(session) -> str:
    return reverse("admin:zoomgroups_groupsession_change", args=[session.pk])


def test_moving_a_session_tells_each_learner_the_old_and_new_time_in_their_zone(
    admin_post, cohort, london_learner, other_learner, refunded_learner, mailoutbox
):
    session = make_session(cohort)

    admin_post(change_url(session), one(cohort, topic=session.topic, starts_at_1="14:00:00"))

    assert [m.to for m in mailoutbox] == [[london_learner.email]]
    message = mailoutbox[0]
    assert message.subject == f"New time: Friday group “{session.topic}”"
    body = message.body
    # Noon and 2 PM in New York are 4 PM and 6 PM in London (both zones on summer time).
    assert "Was: Friday, March 19, 2027, 4:00 PM" in body
    assert "Now: Friday, March 19, 2027, 6:00 PM" in body
    assert "program time: Friday, March 19, 2027, 2:00 PM" in body
    assert reverse("zoomgroups:index") in body
    assert_no_secret(body)
    assert_no_secret(message.alternatives[0][0])


def test_editing_only_the_topic_or_notes_sends_nothing(admin_post, cohort, learner, mailoutbox):
    session = make_session(cohort)

    admin_post(change_url(session), one(cohort, topic="A clearer title", notes="Bring a case"))

    assert GroupSession.objects.get().topic == "A clearer title"
    assert mailoutbox == []


def test_moving_a_session_into_the_past_sends_nothing(
    client_for, staff, cohort, learner, mailoutbox, django_capture_on_commit_callbacks
):
    session = make_session(cohort, starts_at=FRIDAY_NOON)
    later = FRIDAY_NOON + dt.timedelta(days=30)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            change_url(session), one(cohort, topic=session.topic, starts_at_0="2027-03-26")
        )

    assert GroupSession.objects.get().starts_at.day == 26
    assert mailoutbox == []


def test_deleting_an_upcoming_session_tells_its_learners_it_is_cancelled(
    admin_post, cohort, london_learner, other_learner, mailoutbox
):
    session = make_session(cohort)
    url = reverse("admin:zoomgroups_groupsession_delete", args=[session.pk])

    response = admin_post(url, {"post": "yes"})

    assert not GroupSession.objects.exists()
    assert "told by email that it is cancelled" in response.content.decode()
    assert [m.to for m in mailoutbox] == [[london_learner.email]]
    assert mailoutbox[0].subject == f"Cancelled: Friday group “{session.topic}”"
    assert "Friday, March 19, 2027, 4:00 PM" in mailoutbox[0].body
    assert "is cancelled" in mailoutbox[0].body
    assert_no_secret(mailoutbox[0].body)


def test_deleting_sessions_in_bulk_tells_learners_of_the_upcoming_ones_only(
    admin_post, cohort, learner, mailoutbox
):
    second = factories.make_user("second@example.com")
    factories.enrol(second, cohort)
    past = make_session(cohort, starts_at=FRIDAY_NOON - dt.timedelta(weeks=2))
    upcoming = make_session(cohort)

    admin_post(
        reverse("admin:zoomgroups_groupsession_changelist"),
        {"action": "delete_selected", "_selected_action": [past.pk, upcoming.pk], "post": "yes"},
    )

    assert not GroupSession.objects.exists()
    assert sorted(m.to[0] for m in mailoutbox) == [learner.email, second.email]
    assert all(m.subject.startswith("Cancelled:") for m in mailoutbox)
    assert all(upcoming.topic in m.subject for m in mailoutbox)
