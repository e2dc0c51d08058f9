"""Recordings belong to the cohort: its learners (and staff) see the link on the Friday groups
page once staff post it; nobody else sees it anywhere, and emails only say that it is up."""

import datetime as dt
import secrets

import pytest
import time_machine
from django.urls import reverse

from tests.zoomgroups.conftest import FRIDAY_NOON
from zoomgroups import services
from zoomgroups.models import GroupSession, ReminderSent

pytestmark = pytest.mark.django_db

RECORDING = "https://video.example/private/rec-4471"
DAY_AFTER = FRIDAY_NOON + dt.timedelta(days=1)
OUTSIDERS = ["outsider", "other_learner", "refunded_learner"]


@pytest.fixture
def recorded(session):
    GroupSession.objects.filter(pk=session.pk).update(recording_url=RECORDING)
    session.refresh_from_db()
    return session


def pages(c, session, token: str) -> list:
    return [
        c.get(reverse("zoomgroups:index")),
        c.get(reverse("zoomgroups:session", args=[session.pk])),
        c.get(reverse("zoomgroups:session", args=[session.pk]), HTTP_HX_REQUEST="true"),
        c.get(reverse("zoomgroups:session_ics", args=[session.pk])),
        c.get(reverse("zoomgroups:feed", args=[token])),
        c.get(reverse("courses:dashboard")),
    ]


@time_machine.travel(DAY_AFTER, tick=False)
def test_the_cohorts_learner_and_staff_see_the_recording(client_for, learner, staff, recorded):
    for user in (learner, staff):
        c = client_for(user)
        index = c.get(reverse("zoomgroups:index")).content.decode()
        detail = c.get(reverse("zoomgroups:session", args=[recorded.pk])).content.decode()

        assert RECORDING in index
        assert RECORDING in detail


@time_machine.travel(DAY_AFTER, tick=False)
def test_a_visitor_never_sees_the_recording(client, recorded):
    for response in pages(client, recorded, secrets.token_urlsafe(24)):
        assert response.status_code in (302, 404)
        assert RECORDING not in response.content.decode()


@pytest.mark.parametrize("persona", OUTSIDERS)
@time_machine.travel(DAY_AFTER, tick=False)
def test_people_outside_the_cohort_never_see_the_recording(request, client_for, recorded, persona):
    user = request.getfixturevalue(persona)

    responses = pages(client_for(user), recorded, user.feed_token)

    assert [r.status_code for r in responses[1:4]] == [404, 404, 404]
    for response in responses:
        assert RECORDING not in response.content.decode()


@time_machine.travel(DAY_AFTER, tick=False)
def test_a_learner_refunded_after_the_session_loses_the_recording(client_for, learner, recorded):
    c = client_for(learner)
    assert RECORDING in c.get(reverse("zoomgroups:index")).content.decode()

    learner.enrollments.update(status="refunded")

    assert RECORDING not in c.get(reverse("zoomgroups:index")).content.decode()
    assert c.get(reverse("zoomgroups:session", args=[recorded.pk])).status_code == 404


@time_machine.travel(DAY_AFTER, tick=False)
def test_calendars_never_carry_the_recording_link(client_for, learner, recorded):
    c = client_for(learner)

    for response in (
        c.get(reverse("zoomgroups:session_ics", args=[recorded.pk])),
        c.get(reverse("zoomgroups:feed", args=[learner.feed_token])),
    ):
        assert response.status_code == 200
        assert RECORDING not in response.content.decode()


def test_the_recording_email_says_it_is_up_and_links_to_the_page_not_the_video(
    learner,
    other_learner,
    refunded_learner,
    session,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(DAY_AFTER, tick=False):
        session.recording_url = RECORDING
        with django_capture_on_commit_callbacks(execute=True):
            services.save_session_changes(session=session, changed=["recording_url"])
        # Editing the link later does not announce it again.
        session.recording_url = RECORDING + "-v2"
        with django_capture_on_commit_callbacks(execute=True):
            services.save_session_changes(session=session, changed=["recording_url"])

    (message,) = mailoutbox
    assert message.to == [learner.email]
    assert "recording is up" in message.subject.lower()
    for part in (message.subject, message.body, message.alternatives[0][0]):
        assert "video.example" not in part
    assert reverse("zoomgroups:index") in message.body
    assert ReminderSent.objects.filter(kind=ReminderSent.Kind.RECORDING).count() == 1
