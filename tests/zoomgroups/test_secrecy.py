"""The join link and passcode never reach anyone outside the cohort — and never a calendar or
an email, even for the cohort's own learners. Every test runs inside the join window, when the
secrets are live, and a control test shows they do appear where they should."""

import datetime as dt
import secrets

import pytest
import time_machine
from django.urls import reverse

from tests.zoomgroups.conftest import FRIDAY_NOON, JOIN_URL, PASSCODE, assert_no_secret
from zoomgroups import services, tasks

pytestmark = pytest.mark.django_db

IN_WINDOW = FRIDAY_NOON - dt.timedelta(minutes=5)
OUTSIDERS = ["outsider", "other_learner", "refunded_learner"]


def every_response(c, session, token: str) -> list:
    urls = [
        reverse("zoomgroups:index"),
        reverse("zoomgroups:session", args=[session.pk]),
        reverse("zoomgroups:join", args=[session.pk]),
        reverse("zoomgroups:session_ics", args=[session.pk]),
        reverse("zoomgroups:feed", args=[token]),
        reverse("courses:dashboard"),
    ]
    responses = [c.get(url) for url in urls]
    responses.append(
        c.get(reverse("zoomgroups:session", args=[session.pk]), HTTP_HX_REQUEST="true")
    )
    responses.append(
        c.post(
            reverse("zoomgroups:rsvp", args=[session.pk]),
            {"response": "attending"},
            HTTP_HX_REQUEST="true",
        )
    )
    return responses


@time_machine.travel(IN_WINDOW, tick=False)
def test_control_the_enrolled_learner_gets_the_secrets_in_the_window(client_for, learner, session):
    c = client_for(learner)

    assert PASSCODE in c.get(reverse("zoomgroups:index")).content.decode()
    assert c.get(reverse("zoomgroups:join", args=[session.pk]))["Location"] == JOIN_URL


@time_machine.travel(IN_WINDOW, tick=False)
def test_visitor_never_sees_the_secrets(client, session):
    for response in every_response(client, session, secrets.token_urlsafe(24)):
        assert response.status_code in (302, 404, 405)
        assert_no_secret(response.content)
        assert_no_secret(response.get("Location", ""))


@pytest.mark.parametrize("persona", OUTSIDERS)
@time_machine.travel(IN_WINDOW, tick=False)
def test_people_outside_the_cohort_never_see_the_secrets(request, client_for, session, persona):
    user = request.getfixturevalue(persona)
    c = client_for(user)

    responses = every_response(c, session, user.feed_token)

    index, detail, join, ics, feed, dashboard, fragment, rsvp = responses
    assert index.status_code == 200  # the index page renders, without the session
    assert session.topic not in index.content.decode()
    assert session.topic not in dashboard.content.decode()
    assert [r.status_code for r in (detail, join, ics, fragment, rsvp)] == [404] * 5
    # Their own feed: 404 without a cohort of their own; never this cohort's session.
    assert feed.status_code == (200 if persona == "other_learner" else 404)
    assert session.topic not in feed.content.decode()
    for response in responses:
        assert_no_secret(response.content)
        assert_no_secret(response.get("Location", ""))


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_dashboard_card_never_carries_the_secrets_even_for_the_cohort(
    client_for, learner, session
):
    html = client_for(learner).get(reverse("courses:dashboard")).content.decode()

    assert session.topic in html  # the next session is there, without its secrets
    assert_no_secret(html)


@time_machine.travel(IN_WINDOW, tick=False)
def test_calendars_never_carry_the_secrets_even_for_the_cohort(client_for, learner, session):
    c = client_for(learner)

    ics = c.get(reverse("zoomgroups:session_ics", args=[session.pk]))
    feed = c.get(reverse("zoomgroups:feed", args=[learner.feed_token]))

    assert ics.status_code == feed.status_code == 200
    assert session.topic in feed.content.decode()
    assert_no_secret(ics.content)
    assert_no_secret(feed.content)


def test_emails_never_carry_the_secrets(
    learner,
    other_learner,
    refunded_learner,
    session,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    for lead in (dt.timedelta(hours=23), dt.timedelta(minutes=50)):
        with (
            time_machine.travel(FRIDAY_NOON - lead, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            tasks.send_due_reminders.delay()
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(days=1), tick=False):
        session.recording_url = "https://video.example/rec"
        with django_capture_on_commit_callbacks(execute=True):
            services.save_session_changes(session=session, changed=["recording_url"])

    assert len(mailoutbox) == 3
    assert {tuple(m.to) for m in mailoutbox} == {(learner.email,)}
    for message in mailoutbox:
        assert_no_secret(message.subject)
        assert_no_secret(message.body)
        assert_no_secret(message.alternatives[0][0])
