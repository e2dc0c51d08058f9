"""Reminder and recording emails: each once, to the right people, with frozen time."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from courses.models import Enrollment
from tests import factories
from tests.zoomgroups.conftest import FRIDAY_NOON, assert_no_secret, make_session
from zoomgroups import services, tasks
from zoomgroups.models import RSVP, ReminderSent

pytestmark = pytest.mark.django_db

DAY_BEFORE = FRIDAY_NOON - dt.timedelta(hours=23, minutes=58)
HOUR_BEFORE = FRIDAY_NOON - dt.timedelta(minutes=58)


@pytest.fixture
def run_beat(django_capture_on_commit_callbacks):
    def run(at: dt.datetime) -> None:
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            tasks.send_due_reminders.delay()

    return run


def to(mailoutbox) -> list[str]:
    return sorted(m.to[0] for m in mailoutbox)


def test_no_reminder_more_than_a_day_ahead(learner, session, run_beat, mailoutbox):
    run_beat(FRIDAY_NOON - dt.timedelta(hours=25))

    assert mailoutbox == []


def test_day_before_reminder_is_sent_once(learner, session, run_beat, mailoutbox):
    run_beat(DAY_BEFORE)
    run_beat(DAY_BEFORE + dt.timedelta(minutes=5))
    run_beat(DAY_BEFORE + dt.timedelta(hours=3))

    assert to(mailoutbox) == [learner.email]
    assert "Reminder: Friday group" in mailoutbox[0].subject
    assert ReminderSent.objects.filter(kind="day").count() == 1


def test_hour_before_reminder_is_sent_once(learner, session, run_beat, mailoutbox):
    run_beat(DAY_BEFORE)
    run_beat(HOUR_BEFORE)
    run_beat(HOUR_BEFORE + dt.timedelta(minutes=5))
    run_beat(HOUR_BEFORE + dt.timedelta(minutes=40))

    assert len(mailoutbox) == 2
    assert "within the hour" in mailoutbox[1].subject


def test_no_reminder_once_the_session_has_started(learner, session, run_beat, mailoutbox):
    run_beat(FRIDAY_NOON + dt.timedelta(minutes=1))

    assert mailoutbox == []


def test_a_short_notice_session_gets_only_the_hour_reminder(learner, session, run_beat, mailoutbox):
    run_beat(HOUR_BEFORE)
    run_beat(HOUR_BEFORE + dt.timedelta(minutes=10))

    assert len(mailoutbox) == 1
    assert ReminderSent.objects.get().kind == "hour"


def test_no_reminders_for_a_learner_who_declined(learner, session, run_beat, mailoutbox):
    RSVP.objects.create(session=session, user=learner, response="declined")

    run_beat(DAY_BEFORE)
    run_beat(HOUR_BEFORE)

    assert mailoutbox == []


def test_a_learner_who_declines_after_the_first_reminder_gets_no_second(
    learner, session, run_beat, mailoutbox
):
    run_beat(DAY_BEFORE)
    RSVP.objects.create(session=session, user=learner, response="declined")
    run_beat(HOUR_BEFORE)

    assert len(mailoutbox) == 1


def test_no_reminders_for_refunded_cancelled_or_other_learners(
    learner, refunded_learner, other_learner, cohort, session, run_beat, mailoutbox
):
    cancelled = factories.make_user()
    factories.enrol(cancelled, cohort, status=Enrollment.Status.CANCELLED)
    comped = factories.make_user("comped@example.com")
    factories.enrol(comped, cohort, status=Enrollment.Status.COMPED)

    run_beat(DAY_BEFORE)

    assert to(mailoutbox) == sorted([learner.email, comped.email])


def test_a_restart_between_runs_does_not_send_twice(learner, session, run_beat, mailoutbox):
    """A worker that dies after the row is committed: the next run sees the row and skips."""
    with time_machine.travel(DAY_BEFORE, tick=False):
        ReminderSent.objects.create(session=session, user=learner, kind="day")

    run_beat(DAY_BEFORE + dt.timedelta(minutes=5))

    assert mailoutbox == []


def test_deliver_notice_refuses_a_duplicate(
    learner, session, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.deliver_notice(session=session, user=learner, kind="hour")
        second = services.deliver_notice(session=session, user=learner, kind="hour")

    assert (first, second) == (True, False)
    assert len(mailoutbox) == 1


def test_reminder_shows_the_learners_own_time_and_links_to_the_page(
    learner, session, run_beat, mailoutbox, settings
):
    settings.SITE_URL = "https://learn.example.com"
    learner.time_zone = "Australia/Sydney"
    learner.save()

    run_beat(DAY_BEFORE)

    (message,) = mailoutbox
    assert "Saturday, March 20, 2027, 3:00 AM AEDT" in message.body
    assert "Friday, March 19, 2027, 12:00 PM EDT" in message.body
    assert "https://learn.example.com" + reverse("zoomgroups:index") in message.body
    assert "Saturday, March 20, 2027, 3:00 AM AEDT" in message.alternatives[0][0]
    assert_no_secret(message.body)


def test_reminders_for_many_learners_and_sessions(cohort, other_cohort, run_beat, mailoutbox):
    learners = [factories.make_user() for _ in range(5)]
    for user in learners:
        factories.enrol(user, cohort)
        factories.enrol(user, other_cohort)
    make_session(cohort)
    make_session(other_cohort)

    run_beat(DAY_BEFORE)
    run_beat(DAY_BEFORE + dt.timedelta(minutes=5))

    assert len(mailoutbox) == 10


# "The recording is up" ----------------------------------------------------------------------


def test_recording_email_goes_out_once_when_staff_add_the_link(
    learner, refunded_learner, session, mailoutbox, django_capture_on_commit_callbacks
):
    RSVP.objects.create(session=session, user=learner, response="declined")
    session.recording_url = "https://video.example/rec"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_session_changes(session=session, changed=["recording_url"])
    session.recording_url = "https://video.example/rec-fixed"
    with django_capture_on_commit_callbacks(execute=True):
        services.save_session_changes(session=session, changed=["recording_url"])
        tasks.send_recording_notices.delay(session.pk)

    assert to(mailoutbox) == [learner.email]  # declining a live session still wants the video
    assert "The recording is up" in mailoutbox[0].subject
    assert "video.example" not in mailoutbox[0].body
    session.refresh_from_db()
    assert session.recording_announced_at is not None


def test_no_recording_email_without_a_link(
    learner, session, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.save_session_changes(session=session, changed=["notes"])
        tasks.send_recording_notices.delay(session.pk)

    assert mailoutbox == []


def test_recording_task_for_a_deleted_session_does_nothing(mailoutbox):
    assert tasks.send_recording_notices.delay(424242).get() == 0


def test_beat_runs_the_reminder_task_every_few_minutes():
    from config.celery import app

    entry = app.conf.beat_schedule["zoomgroups-reminders"]
    assert entry["task"] == "zoomgroups.tasks.send_due_reminders"
    assert entry["schedule"].minute == set(range(0, 60, 5))


def test_moving_a_session_rearms_its_reminders_for_the_new_time(
    learner, session, run_beat, mailoutbox
):
    run_beat(DAY_BEFORE)
    assert len(mailoutbox) == 1

    with time_machine.travel(DAY_BEFORE + dt.timedelta(minutes=30), tick=False):
        session.starts_at = FRIDAY_NOON + dt.timedelta(weeks=1)
        services.save_session_changes(session=session, changed=["starts_at"])
    run_beat(FRIDAY_NOON - dt.timedelta(minutes=50))  # the old hour: nothing due any more
    assert len(mailoutbox) == 1
    run_beat(DAY_BEFORE + dt.timedelta(weeks=1))
    run_beat(DAY_BEFORE + dt.timedelta(weeks=1, minutes=5))

    assert len(mailoutbox) == 2
    assert "March 26" in mailoutbox[1].subject


def test_editing_the_topic_does_not_resend_a_reminder(learner, session, run_beat, mailoutbox):
    run_beat(DAY_BEFORE)
    session.topic = "A clearer title"
    services.save_session_changes(session=session, changed=["topic"])
    run_beat(DAY_BEFORE + dt.timedelta(minutes=5))

    assert len(mailoutbox) == 1
