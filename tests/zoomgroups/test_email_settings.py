"""Friday-group reminders and recording notices respect the email settings: turned off once,
they stop for every session of every run; the others still get theirs."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from accounts.models import EmailSettings
from tests import factories
from tests.zoomgroups.conftest import FRIDAY_NOON, make_session
from zoomgroups import services, tasks

pytestmark = pytest.mark.django_db

DAY_BEFORE = FRIDAY_NOON - dt.timedelta(hours=23, minutes=58)


@pytest.fixture
def second_enrolled(cohort):
    user = factories.make_user("second@example.com", display_name="Sam Second")
    factories.enrol(user, cohort)
    return user


@pytest.fixture
def run_beat(django_capture_on_commit_callbacks):
    def run(at: dt.datetime) -> None:
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            tasks.send_due_reminders.delay()

    return run


def test_reminders_turned_off_stop_for_every_session(
    learner, cohort, session, run_beat, mailoutbox
):
    later = make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=7))
    EmailSettings.turn_off(user_id=learner.pk, kind="group_reminders")

    run_beat(DAY_BEFORE)
    run_beat(DAY_BEFORE + dt.timedelta(days=7))

    assert mailoutbox == []
    assert later.pk != session.pk


def test_reminders_still_reach_those_who_keep_them(
    learner, second_enrolled, session, run_beat, mailoutbox
):
    EmailSettings.turn_off(user_id=learner.pk, kind="group_reminders")

    run_beat(DAY_BEFORE)

    assert [m.to for m in mailoutbox] == [[second_enrolled.email]]


def test_the_reminder_link_turns_off_reminders_for_all_sessions_in_one_click(
    learner, cohort, session, run_beat, mailoutbox
):
    make_session(cohort, starts_at=FRIDAY_NOON + dt.timedelta(days=7))
    run_beat(DAY_BEFORE)
    (message,) = mailoutbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert url in message.body

    path = url.split("://", 1)[1].split("/", 1)[1]
    assert Client(enforce_csrf_checks=True).post("/" + path).status_code == 200

    run_beat(DAY_BEFORE + dt.timedelta(days=7))
    assert len(mailoutbox) == 1


def test_recording_notices_have_their_own_switch(
    learner, session, mailoutbox, django_capture_on_commit_callbacks
):
    EmailSettings.turn_off(user_id=learner.pk, kind="group_recordings")
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(days=1), tick=False):
        session.recording_url = "https://video.example/rec-1"
        with django_capture_on_commit_callbacks(execute=True):
            services.save_session_changes(session=session, changed=["recording_url"])

    assert mailoutbox == []


def test_recording_notice_carries_its_one_click_link(
    learner, session, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(days=1), tick=False):
        session.recording_url = "https://video.example/rec-1"
        with django_capture_on_commit_callbacks(execute=True):
            services.save_session_changes(session=session, changed=["recording_url"])

    (message,) = mailoutbox
    assert "recording is up" in message.body
    assert "Turn off these emails (A Friday group" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def test_the_groups_page_links_to_turning_reminders_off_for_every_session(
    client_for, learner, session
):
    from django.urls import reverse

    page = client_for(learner).get(reverse("zoomgroups:index")).content.decode()

    assert "turn them off for every session" in page
    assert reverse("accounts:email_settings") in page
