"""The Friday groups page, a session's page, RSVP and the join redirect, per persona."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests import factories
from tests.zoomgroups.conftest import (
    FRIDAY_NOON,
    JOIN_URL,
    PASSCODE,
    assert_no_secret,
    make_session,
)
from zoomgroups import services
from zoomgroups.models import RSVP, Attendance, GroupSession

pytestmark = pytest.mark.django_db

BEFORE = FRIDAY_NOON - dt.timedelta(days=2)
IN_WINDOW = FRIDAY_NOON - dt.timedelta(minutes=10)
JUST_BEFORE_WINDOW = FRIDAY_NOON - dt.timedelta(minutes=16)
AFTER = FRIDAY_NOON + dt.timedelta(minutes=80)


# visible_to: one condition per test ---------------------------------------------------------


def test_visible_to_a_visitor_is_nothing(session):
    from django.contrib.auth.models import AnonymousUser

    assert not GroupSession.objects.visible_to(AnonymousUser()).exists()


def test_visible_to_a_learner_is_their_cohorts_sessions(session, learner, other_cohort):
    other = make_session(other_cohort)

    assert list(GroupSession.objects.visible_to(learner)) == [session]
    assert other not in GroupSession.objects.visible_to(learner)


def test_visible_to_a_refunded_learner_is_nothing(session, refunded_learner):
    assert not GroupSession.objects.visible_to(refunded_learner).exists()


def test_visible_to_a_cancelled_learner_is_nothing(session, cohort):
    user = factories.make_user()
    factories.enrol(user, cohort, status="cancelled")

    assert not GroupSession.objects.visible_to(user).exists()


def test_visible_to_a_comped_learner_is_their_cohorts(session, cohort):
    user = factories.make_user()
    factories.enrol(user, cohort, status="comped")

    assert list(GroupSession.objects.visible_to(user)) == [session]


def test_visible_to_an_outsider_is_nothing(session, outsider):
    assert not GroupSession.objects.visible_to(outsider).exists()


def test_visible_to_staff_and_instructor_is_everything(session, staff, instructor, other_cohort):
    other = make_session(other_cohort)

    assert set(GroupSession.objects.visible_to(staff)) == {session, other}
    assert set(GroupSession.objects.visible_to(instructor)) == {session, other}


# The page ------------------------------------------------------------------------------------


def test_visitor_is_sent_to_sign_in(client, session):
    response = client.get(reverse("zoomgroups:index"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@time_machine.travel(BEFORE, tick=False)
def test_learner_sees_their_session_in_their_time_zone_with_program_time(
    client_for, learner, session
):
    learner.time_zone = "Europe/London"
    learner.save()

    response = client_for(learner).get(reverse("zoomgroups:index"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert session.topic in html
    assert "Friday, March 19, 2027, 4:00 PM GMT" in html
    assert "Program time: Friday, March 19, 12:00 PM EDT" in html
    assert "0 of your 10" in html
    assert_no_secret(html)


@time_machine.travel(BEFORE, tick=False)
def test_learner_in_the_program_zone_sees_one_time(client_for, learner, session):
    html = client_for(learner).get(reverse("zoomgroups:index")).content.decode()

    assert "Friday, March 19, 2027, 12:00 PM EDT" in html
    assert "Program time:" not in html


@time_machine.travel(BEFORE, tick=False)
def test_learner_does_not_see_another_cohorts_session(client_for, learner, other_cohort):
    make_session(other_cohort, topic="Someone else's group")

    html = client_for(learner).get(reverse("zoomgroups:index")).content.decode()

    assert "Someone else's group" not in html


@time_machine.travel(BEFORE, tick=False)
def test_outsider_sees_an_empty_state(client_for, outsider, session):
    html = client_for(outsider).get(reverse("zoomgroups:index")).content.decode()

    assert "Friday groups come with a trimester" in html
    assert session.topic not in html
    assert outsider.feed_token not in html


@time_machine.travel(BEFORE, tick=False)
def test_staff_see_every_cohorts_sessions(client_for, staff, session, other_cohort):
    other = make_session(other_cohort, topic="Other cohorts group")

    html = client_for(staff).get(reverse("zoomgroups:index")).content.decode()

    assert session.topic in html and other.topic in html


@time_machine.travel(AFTER + dt.timedelta(days=1), tick=False)
def test_past_session_shows_the_recording_once_posted(client_for, learner, session):
    c = client_for(learner)  # inside the travel: the session cookie is fresh
    assert "appears here once staff post it" in c.get(reverse("zoomgroups:index")).content.decode()

    GroupSession.objects.filter(pk=session.pk).update(recording_url="https://video.example/rec1")
    html = c.get(reverse("zoomgroups:index")).content.decode()

    assert "https://video.example/rec1" in html
    assert "Watch the recording" in html


def test_usage_counts_attendance_and_says_plainly_when_all_are_used(client_for, learner, cohort):
    sessions = services.schedule_sessions(
        cohort=cohort,
        starts=services.fridays(first=dt.date(2026, 1, 2), time=dt.time(12), count=10),
        topic="Group",
    )
    c = client_for(learner)
    Attendance.objects.bulk_create([Attendance(session=s, user=learner) for s in sessions[:3]])
    assert "3 of your 10" in c.get(reverse("zoomgroups:index")).content.decode()

    Attendance.objects.bulk_create([Attendance(session=s, user=learner) for s in sessions[3:]])
    html = c.get(reverse("zoomgroups:index")).content.decode()

    assert "You have used all 10 of your Friday groups" in html


def test_past_sessions_are_paginated(client_for, staff):
    for count in (10, 10, 5):
        services.schedule_sessions(
            cohort=factories.make_cohort(),
            starts=services.fridays(first=dt.date(2025, 1, 3), time=dt.time(12), count=count),
            topic="Old group",
        )
    client = client_for(staff)

    first = client.get(reverse("zoomgroups:index")).content.decode()
    second = client.get(reverse("zoomgroups:index") + "?page=2").content.decode()

    assert first.count("<h3><a") == 20
    assert second.count("<h3><a") == 5
    assert "Page 2 of 2" in second
    assert client.get(reverse("zoomgroups:index") + "?page=zz").status_code == 200


def test_a_session_going_on_now_is_upcoming_and_past_pages_stay_full(client_for, staff, cohort):
    services.schedule_sessions(
        cohort=factories.make_cohort(),
        starts=services.fridays(first=dt.date(2025, 1, 3), time=dt.time(12), count=10),
        topic="Old group",
    )
    services.schedule_sessions(
        cohort=factories.make_cohort(),
        starts=services.fridays(first=dt.date(2025, 6, 6), time=dt.time(12), count=10),
        topic="Old group",
    )
    live = make_session(cohort, topic="Going on now")
    with time_machine.travel(FRIDAY_NOON + dt.timedelta(minutes=30), tick=False):
        response = client_for(staff).get(reverse("zoomgroups:index"))

    assert [card.session for card in response.context["upcoming"]] == [live]
    past = response.context["past"]
    assert len(past) == 20 and live not in [card.session for card in past]
    assert response.context["past_page"].paginator.count == 20


@pytest.mark.parametrize("count", [1, 10])
def test_page_queries_do_not_grow_with_sessions(
    client_for, learner, cohort, count, django_assert_max_num_queries
):
    with time_machine.travel(dt.datetime(2027, 1, 1, tzinfo=dt.UTC), tick=False):
        sessions = services.schedule_sessions(
            cohort=cohort,
            starts=services.fridays(first=dt.date(2026, 11, 6), time=dt.time(12), count=count),
            topic="Group",
        )
        for s in sessions:
            RSVP.objects.create(session=s, user=learner, response="attending")
            Attendance.objects.create(session=s, user=learner)
        c = client_for(learner)
        with django_assert_max_num_queries(12):
            assert c.get(reverse("zoomgroups:index")).status_code == 200


def test_staff_page_queries_stay_flat(client_for, staff, django_assert_max_num_queries):
    for _ in range(4):
        services.schedule_sessions(
            cohort=factories.make_cohort(),
            starts=services.fridays(first=dt.date(2026, 10, 2), time=dt.time(12), count=10),
            topic="Group",
        )
    c = client_for(staff)
    with django_assert_max_num_queries(12):
        assert c.get(reverse("zoomgroups:index")).status_code == 200


# Session page and fragment -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "other_learner", "refunded_learner"])
def test_session_page_is_404_for_those_outside_the_cohort(request, client_for, session, persona):
    user = request.getfixturevalue(persona)

    response = client_for(user).get(reverse("zoomgroups:session", args=[session.pk]))

    assert response.status_code == 404


def test_session_page_for_a_missing_id_is_404(client_for, learner):
    assert client_for(learner).get(reverse("zoomgroups:session", args=[99999])).status_code == 404


def test_htmx_asks_for_just_the_card(client_for, learner, session):
    response = client_for(learner).get(
        reverse("zoomgroups:session", args=[session.pk]), HTTP_HX_REQUEST="true"
    )

    html = response.content.decode()
    assert html.lstrip().startswith("<article")
    assert "<html" not in html


def test_the_card_heading_follows_the_page_it_sits_in(client_for, learner, session):
    """Under the session page's h1 the card's title is an h2, also when htmx refreshes it there;
    in the list, under "Upcoming" or "Past", it is an h3."""
    c = client_for(learner)
    url = reverse("zoomgroups:session", args=[session.pk])
    index = reverse("zoomgroups:index")
    as_h2 = f'<h2 class="group-session-title">{session.topic}</h2>'
    as_h3 = f"{session.topic}</a></h3>"

    assert as_h2 in c.get(url).content.decode()
    from_page = c.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{url}")
    assert as_h2 in from_page.content.decode()
    from_list = c.get(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{index}")
    assert as_h3 in from_list.content.decode()
    assert as_h3 in c.get(index).content.decode()


# RSVP ------------------------------------------------------------------------------------------


@time_machine.travel(BEFORE, tick=False)
def test_learner_rsvps_without_javascript(client_for, learner, session):
    response = client_for(learner).post(
        reverse("zoomgroups:rsvp", args=[session.pk]), {"response": "declined"}
    )

    assert response.status_code == 302
    assert RSVP.objects.get(session=session, user=learner).response == "declined"


@time_machine.travel(BEFORE, tick=False)
def test_learner_changes_their_rsvp_in_place_with_htmx(client_for, learner, session):
    c = client_for(learner)
    c.post(reverse("zoomgroups:rsvp", args=[session.pk]), {"response": "declined"})

    response = c.post(
        reverse("zoomgroups:rsvp", args=[session.pk]),
        {"response": "attending"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert html.lstrip().startswith("<article")
    assert "See you there." in html
    assert 'value="attending" class="button button-small" aria-pressed="true"' in html
    assert RSVP.objects.get(session=session, user=learner).response == "attending"
    assert RSVP.objects.count() == 1


@time_machine.travel(BEFORE, tick=False)
def test_a_bad_rsvp_answer_is_not_an_error_page(client_for, learner, session):
    response = client_for(learner).post(
        reverse("zoomgroups:rsvp", args=[session.pk]), {"response": "maybe"}
    )

    assert response.status_code == 302
    assert not RSVP.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "other_learner", "refunded_learner", "staff"])
@time_machine.travel(BEFORE, tick=False)
def test_rsvp_is_404_for_anyone_but_the_cohorts_learners(request, client_for, session, persona):
    user = request.getfixturevalue(persona)

    response = client_for(user).post(
        reverse("zoomgroups:rsvp", args=[session.pk]), {"response": "attending"}
    )

    assert response.status_code == 404
    assert not RSVP.objects.exists()


@time_machine.travel(AFTER, tick=False)
def test_rsvp_for_a_past_session_is_404(client_for, learner, session):
    response = client_for(learner).post(
        reverse("zoomgroups:rsvp", args=[session.pk]), {"response": "attending"}
    )

    assert response.status_code == 404


# Joining ---------------------------------------------------------------------------------------


def test_join_button_appears_only_inside_the_window(client_for, learner, session):
    url = reverse("zoomgroups:index")
    join = reverse("zoomgroups:join", args=[session.pk])

    with time_machine.travel(JUST_BEFORE_WINDOW, tick=False) as clock:
        c = client_for(learner)
        html = c.get(url).content.decode()
        assert join not in html
        assert PASSCODE not in html
        assert "The Join button appears here 15 minutes before the start" in html

        clock.move_to(IN_WINDOW)
        html = c.get(url).content.decode()
        assert join in html
        assert PASSCODE in html
        assert JOIN_URL not in html  # the link itself is only in the redirect

        clock.move_to(AFTER)
        html = c.get(url).content.decode()
        assert join not in html
        assert PASSCODE not in html


def test_join_redirects_to_zoom_inside_the_window(client_for, learner, session):
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client_for(learner).get(reverse("zoomgroups:join", args=[session.pk]))

    assert response.status_code == 302
    assert response["Location"] == JOIN_URL
    assert "no-store" in response["Cache-Control"]


def test_join_outside_the_window_says_when_it_opens(client_for, learner, session):
    with time_machine.travel(JUST_BEFORE_WINDOW, tick=False):
        response = client_for(learner).get(
            reverse("zoomgroups:join", args=[session.pk]), follow=True
        )

    assert "opens 15 minutes before" in response.content.decode()
    assert_no_secret(response.content)


def test_join_window_is_a_setting(client_for, learner, session, settings):
    settings.ZOOMGROUPS_JOIN_OPENS_MINUTES = 30
    with time_machine.travel(FRIDAY_NOON - dt.timedelta(minutes=25), tick=False):
        response = client_for(learner).get(reverse("zoomgroups:join", args=[session.pk]))

    assert response["Location"] == JOIN_URL


def test_staff_can_join_inside_the_window(client_for, instructor, session):
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client_for(instructor).get(reverse("zoomgroups:join", args=[session.pk]))

    assert response["Location"] == JOIN_URL


def test_a_learner_refunded_after_loading_the_page_cannot_join(client_for, learner, session):
    with time_machine.travel(IN_WINDOW, tick=False):
        c = client_for(learner)
        assert (
            reverse("zoomgroups:join", args=[session.pk])
            in c.get(reverse("zoomgroups:index")).content.decode()
        )
        learner.enrollments.update(status="refunded")

        response = c.get(reverse("zoomgroups:join", args=[session.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["learner", "staff"])
def test_session_page_queries_are_few(
    request, client_for, session, persona, django_assert_max_num_queries
):
    c = client_for(request.getfixturevalue(persona))
    with django_assert_max_num_queries(8):
        assert c.get(reverse("zoomgroups:session", args=[session.pk])).status_code == 200


def test_join_inside_the_window_without_a_link_says_so(client_for, learner, cohort):
    session = make_session(cohort, join_url="")
    with time_machine.travel(IN_WINDOW, tick=False):
        response = client_for(learner).get(
            reverse("zoomgroups:join", args=[session.pk]), follow=True
        )

    assert "not posted yet" in response.content.decode()
    assert "as soon as staff post the Zoom link" in response.content.decode()
