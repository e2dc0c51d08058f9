"""Staff schedule sessions in the admin, one at a time or as a series, and mark attendance."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from courses.models import Enrollment
from tests import factories
from tests.zoomgroups.conftest import FRIDAY_NOON, JOIN_URL, make_session
from zoomgroups import services
from zoomgroups.models import Attendance, GroupSession

pytestmark = pytest.mark.django_db

SCHEDULE = reverse("admin:zoomgroups_groupsession_schedule")
ADD = reverse("admin:zoomgroups_groupsession_add")


def series(cohort, **overrides) -> dict:
    data = {
        "cohort": cohort.pk,
        "first_date": "2027-03-05",
        "start_time": "12:00",
        "count": "10",
        "skip_dates": "2027-04-02",
        "topic": "Friday group",
        "number_topics": "on",
        "duration_minutes": "75",
        "join_url": JOIN_URL,
        "passcode": "",
    }
    return {**data, **overrides}


def one(cohort, **overrides) -> dict:
    data = {
        "cohort": cohort.pk,
        "starts_at_0": "2027-03-19",
        "starts_at_1": "12:00:00",
        "duration_minutes": "75",
        "topic": "Role of emotion",
        "notes": "",
        "join_url": JOIN_URL,
        "passcode": "",
        "recording_url": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize("persona", ["staff", "instructor"])
def test_staff_and_instructor_schedule_a_series_skipping_dates(
    request, client_for, cohort, persona
):
    c = client_for(request.getfixturevalue(persona))

    response = c.post(SCHEDULE, series(cohort))

    assert response.status_code == 302
    sessions = list(GroupSession.objects.filter(cohort=cohort))
    assert len(sessions) == 10
    ny_dates = [s.starts_at.astimezone(FRIDAY_NOON.tzinfo).date() for s in sessions]
    assert dt.date(2027, 4, 2) not in ny_dates
    assert ny_dates[-1] == dt.date(2027, 5, 14)
    assert {s.starts_at.astimezone(FRIDAY_NOON.tzinfo).hour for s in sessions} == {12}
    assert sessions[0].topic == "Friday group 1"


def test_series_form_shows_in_program_time(client_for, staff):
    response = client_for(staff).get(SCHEDULE)

    assert response.status_code == 200
    assert "America/New_York" in response.content.decode()


def test_a_series_past_the_limit_is_refused_whole(client_for, staff, cohort):
    services.schedule_sessions(
        cohort=cohort,
        starts=services.fridays(first=dt.date(2027, 1, 8), time=dt.time(12), count=8),
        topic="Existing",
    )

    response = client_for(staff).post(SCHEDULE, series(cohort, count="3"))

    assert response.status_code == 200
    assert "adding 3 would make 11, more than the 10 allowed" in response.content.decode()
    assert GroupSession.objects.filter(cohort=cohort).count() == 8


def test_a_series_of_eleven_is_refused(client_for, staff, cohort):
    response = client_for(staff).post(SCHEDULE, series(cohort, count="11"))

    assert "at most 10" in response.content.decode()
    assert not GroupSession.objects.exists()


def test_a_series_must_start_on_a_friday(client_for, staff, cohort):
    response = client_for(staff).post(SCHEDULE, series(cohort, first_date="2027-03-04"))

    assert "is a Thursday; choose a Friday" in response.content.decode()
    assert not GroupSession.objects.exists()


def test_bad_skip_dates_are_a_form_error(client_for, staff, cohort):
    response = client_for(staff).post(SCHEDULE, series(cohort, skip_dates="soon"))

    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def test_learners_cannot_reach_the_series_form(client_for, learner):
    response = client_for(learner).get(SCHEDULE)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_staff_add_one_session_in_program_time(client_for, staff, cohort):
    staff.time_zone = "Europe/London"  # the admin still takes times in New York time
    staff.save()

    response = client_for(staff).post(ADD, one(cohort))

    assert response.status_code == 302
    session = GroupSession.objects.get()
    assert session.starts_at == dt.datetime(2027, 3, 19, 16, 0, tzinfo=dt.UTC)
    assert session.slot == 1


def test_admin_refuses_a_session_that_is_not_a_friday(client_for, staff, cohort):
    response = client_for(staff).post(ADD, one(cohort, starts_at_0="2027-03-18"))

    assert response.status_code == 200
    assert "Friday groups start on a Friday" in response.content.decode()
    assert not GroupSession.objects.exists()


def test_admin_refuses_an_eleventh_session(client_for, staff, cohort):
    services.schedule_sessions(
        cohort=cohort,
        starts=services.fridays(first=dt.date(2027, 1, 8), time=dt.time(12), count=10),
        topic="Existing",
    )

    response = client_for(staff).post(ADD, one(cohort, starts_at_0="2027-06-04"))

    assert response.status_code == 200
    assert "already has 10 Friday groups" in response.content.decode()
    assert GroupSession.objects.filter(cohort=cohort).count() == 10


def test_changing_the_time_in_the_admin_bumps_the_calendar_sequence(client_for, staff, cohort):
    session = make_session(cohort)
    url = reverse("admin:zoomgroups_groupsession_change", args=[session.pk])

    client_for(staff).post(url, one(cohort, starts_at_0="2027-03-26", topic=session.topic))

    session.refresh_from_db()
    assert session.sequence == 1
    assert session.slot == 1


def test_adding_the_recording_in_the_admin_emails_the_cohort_once(
    client_for, staff, learner, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    session = make_session(cohort)
    url = reverse("admin:zoomgroups_groupsession_change", args=[session.pk])
    c = client_for(staff)
    data = one(cohort, topic=session.topic, recording_url="https://video.example/r")

    with django_capture_on_commit_callbacks(execute=True):
        assert c.post(url, data).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        c.post(url, {**data, "notes": "Edited", "recording_url": "https://video.example/r2"})

    assert [m.to for m in mailoutbox] == [[learner.email]]


def test_a_sessions_cohort_cannot_be_changed(client_for, staff, cohort, other_cohort):
    session = make_session(cohort)
    url = reverse("admin:zoomgroups_groupsession_change", args=[session.pk])

    client_for(staff).post(url, one(other_cohort, topic="Moved?"))

    session.refresh_from_db()
    assert session.cohort == cohort
    assert session.topic == "Moved?"


def test_changelist_and_change_page_render(client_for, staff, cohort, learner):
    session = make_session(cohort)
    c = client_for(staff)

    listing = c.get(reverse("admin:zoomgroups_groupsession_changelist"))
    change = c.get(reverse("admin:zoomgroups_groupsession_change", args=[session.pk]))

    assert listing.status_code == change.status_code == 200
    assert "Schedule a series of Fridays" in listing.content.decode()
    assert "Attendance checklist" in change.content.decode()


# Attendance checklist --------------------------------------------------------------------------


def test_attendance_checklist_lists_enrolled_learners_only(
    client_for, staff, learner, refunded_learner, other_learner, session
):
    html = (
        client_for(staff)
        .get(reverse("admin:zoomgroups_groupsession_attendance", args=[session.pk]))
        .content.decode()
    )

    assert learner.email in html
    assert refunded_learner.email not in html
    assert other_learner.email not in html


@time_machine.travel(FRIDAY_NOON + dt.timedelta(days=1), tick=False)
def test_marking_attendance_counts_toward_the_learners_ten(
    client_for, instructor, learner, cohort, session
):
    comped = factories.make_user()
    factories.enrol(comped, cohort, status=Enrollment.Status.COMPED)
    url = reverse("admin:zoomgroups_groupsession_attendance", args=[session.pk])
    c = client_for(instructor)

    response = c.post(url, {"attended": [str(learner.pk)]})

    assert response.status_code == 302
    assert list(Attendance.objects.values_list("user_id", flat=True)) == [learner.pk]
    page = client_for(learner).get(reverse("zoomgroups:index")).content.decode()
    assert "1 of your 10" in page
    assert "You attended" in page

    c.post(url, {"attended": [str(comped.pk)]})  # untick the learner, tick the other
    assert list(Attendance.objects.values_list("user_id", flat=True)) == [comped.pk]


def test_attendance_ignores_people_outside_the_cohort(client_for, staff, other_learner, session):
    url = reverse("admin:zoomgroups_groupsession_attendance", args=[session.pk])

    response = client_for(staff).post(url, {"attended": [str(other_learner.pk)]})

    assert response.status_code == 200  # not a valid choice: the form says so
    assert not Attendance.objects.exists()


def test_attendance_for_a_missing_session_is_404(client_for, staff):
    url = reverse("admin:zoomgroups_groupsession_attendance", args=[4242])

    assert client_for(staff).get(url).status_code == 404


def test_admin_pages_use_the_same_queries_for_few_and_many(client_for, staff, cohort, other_cohort):
    """The session list (with attendance counts) and the checklist do not grow per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(staff)

    def grow(n: int, first: dt.date) -> GroupSession:
        sessions = []
        for target in (cohort, other_cohort):
            sessions += services.schedule_sessions(
                cohort=target,
                starts=services.fridays(first=first, time=dt.time(12), count=n),
                topic="Group",
            )
        for _ in range(n):
            user = factories.make_user()
            factories.enrol(user, cohort)
            factories.enrol(factories.make_user(), other_cohort)
            Attendance.objects.bulk_create([Attendance(session=s, user=user) for s in sessions[:n]])
        return sessions[0]

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = grow(2, dt.date(2027, 1, 1))
    urls = [
        reverse("admin:zoomgroups_groupsession_changelist"),
        reverse("admin:zoomgroups_groupsession_attendance", args=[first.pk]),
    ]
    c.get(urls[0])
    small = [count(url) for url in urls]
    grow(8, dt.date(2027, 6, 4))
    large = [count(url) for url in urls]

    assert GroupSession.objects.count() == 20
    assert small == large


@time_machine.travel(FRIDAY_NOON + dt.timedelta(days=8), tick=False)
def test_changelist_filters_upcoming_past_and_missing_recordings(client_for, staff, cohort):
    done, waiting, coming = services.schedule_sessions(  # 19 March, 26 March, 2 April
        cohort=cohort,
        starts=services.fridays(first=FRIDAY_NOON.date(), time=dt.time(12), count=3),
        topic="Group",
    )
    GroupSession.objects.filter(pk=done.pk).update(recording_url="https://video.example/1")
    c = client_for(staff)
    url = reverse("admin:zoomgroups_groupsession_changelist")

    def listed(when: str) -> set[int]:
        response = c.get(url, {"when": when})
        assert response.status_code == 200
        return {s.pk for s in response.context["cl"].result_list}

    assert listed("upcoming") == {coming.pk}
    assert listed("past") == {done.pk, waiting.pk}
    assert listed("no_recording") == {waiting.pk}
