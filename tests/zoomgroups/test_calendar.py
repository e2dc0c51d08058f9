"""Calendar files and the private feed; times across daylight-saving changes."""

import datetime as dt
import secrets

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from tests import factories
from tests.zoomgroups.conftest import NEW_YORK, make_session
from zoomgroups import services

pytestmark = pytest.mark.django_db

# Noon in New York on Fridays either side of the 2027 clock changes: US 14 March and
# 7 November; EU (London) 28 March and 31 October; Sydney 4 April and 3 October.
# (date, UTC instant, London, Sydney)
DST_CASES = [
    (
        "2027-03-12",  # before every spring change
        dt.datetime(2027, 3, 12, 17, 0, tzinfo=dt.UTC),
        "Friday, March 12, 2027, 5:00 PM GMT",
        "Saturday, March 13, 2027, 4:00 AM AEDT",
    ),
    (
        "2027-03-19",  # after the US change, before the EU change
        dt.datetime(2027, 3, 19, 16, 0, tzinfo=dt.UTC),
        "Friday, March 19, 2027, 4:00 PM GMT",
        "Saturday, March 20, 2027, 3:00 AM AEDT",
    ),
    (
        "2027-04-02",  # after the EU change
        dt.datetime(2027, 4, 2, 16, 0, tzinfo=dt.UTC),
        "Friday, April 2, 2027, 5:00 PM BST",
        "Saturday, April 3, 2027, 3:00 AM AEDT",
    ),
    (
        "2027-04-09",  # after Sydney's autumn change
        dt.datetime(2027, 4, 9, 16, 0, tzinfo=dt.UTC),
        "Friday, April 9, 2027, 5:00 PM BST",
        "Saturday, April 10, 2027, 2:00 AM AEST",
    ),
    (
        "2027-11-05",  # after the EU autumn change, before the US one
        dt.datetime(2027, 11, 5, 16, 0, tzinfo=dt.UTC),
        "Friday, November 5, 2027, 4:00 PM GMT",
        "Saturday, November 6, 2027, 3:00 AM AEDT",
    ),
    (
        "2027-11-12",  # after the US autumn change
        dt.datetime(2027, 11, 12, 17, 0, tzinfo=dt.UTC),
        "Friday, November 12, 2027, 5:00 PM GMT",
        "Saturday, November 13, 2027, 4:00 AM AEDT",
    ),
]


def noon(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=NEW_YORK)


def parse_events(content: bytes) -> list:
    return [c for c in Calendar.from_ical(content).walk() if c.name == "VEVENT"]


@pytest.mark.parametrize(("day", "instant", "london", "sydney"), DST_CASES)
@time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=dt.UTC), tick=False)
def test_local_times_across_clock_changes(client_for, cohort, day, instant, london, sydney):
    session = make_session(cohort, starts_at=noon(day))
    page = reverse("zoomgroups:session", args=[session.pk])
    in_london = factories.make_user(time_zone="Europe/London")
    in_sydney = factories.make_user(time_zone="Australia/Sydney")
    for user in (in_london, in_sydney):
        factories.enrol(user, cohort)

    assert session.starts_at == instant
    assert london in client_for(in_london).get(page).content.decode()
    assert sydney in client_for(in_sydney).get(page).content.decode()
    # The index shows the same.
    assert sydney in client_for(in_sydney).get(reverse("zoomgroups:index")).content.decode()


@pytest.mark.parametrize(("day", "instant", "london", "sydney"), DST_CASES)
@time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=dt.UTC), tick=False)
def test_ics_gives_the_right_instant_across_clock_changes(
    client_for, learner, cohort, day, instant, london, sydney
):
    session = make_session(cohort, starts_at=noon(day))

    response = client_for(learner).get(reverse("zoomgroups:session_ics", args=[session.pk]))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    (event,) = parse_events(response.content)
    assert event.decoded("dtstart") == instant
    assert event.decoded("dtend") == instant + dt.timedelta(minutes=75)
    assert event.decoded("dtstart").astimezone(NEW_YORK).hour == 12


@time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=dt.UTC), tick=False)
def test_ics_event_links_to_the_site_and_has_a_stable_uid(client_for, learner, cohort, settings):
    settings.SITE_URL = "https://learn.example.com"
    settings.STABLE_ID_DOMAIN = "learn.example.com"  # a site that published UIDs before it
    session = make_session(cohort)
    c = client_for(learner)
    url = reverse("zoomgroups:session_ics", args=[session.pk])

    (before,) = parse_events(c.get(url).content)
    session.starts_at = noon("2027-03-26")
    services.save_session_changes(session=session, changed=["starts_at"])
    (after,) = parse_events(c.get(url).content)

    assert str(before["uid"]) == str(after["uid"]) == f"groupsession-{session.pk}@learn.example.com"
    assert int(before["sequence"]) == 0
    assert int(after["sequence"]) == 1
    assert after.decoded("dtstart") == dt.datetime(2027, 3, 26, 16, 0, tzinfo=dt.UTC)
    assert str(after["url"]) == "https://learn.example.com/groups/"
    assert "https://learn.example.com/groups/" in str(after["description"])
    assert after.decoded("last-modified")


@time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=dt.UTC), tick=False)
def test_editing_notes_does_not_bump_the_sequence(cohort):
    session = make_session(cohort)
    session.notes = "Bring a case."
    services.save_session_changes(session=session, changed=["notes"])

    session.refresh_from_db()
    assert session.sequence == 0


@time_machine.travel(dt.datetime(2027, 1, 4, tzinfo=dt.UTC), tick=False)
def test_feed_lists_the_learners_cohort_sessions(client, learner, cohort, other_cohort):
    mine = make_session(cohort, topic="Mine")
    make_session(other_cohort, topic="Not mine")

    response = client.get(reverse("zoomgroups:feed", args=[learner.feed_token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    events = parse_events(response.content)
    assert [str(e["summary"]) for e in events] == ["Friday group: Mine"]
    assert str(events[0]["uid"]).startswith(f"groupsession-{mine.pk}@")


def test_feed_with_an_unknown_token_is_404(client, learner):
    unknown = reverse("zoomgroups:feed", args=[secrets.token_urlsafe(24)])
    assert client.get(unknown).status_code == 404


def test_feed_after_a_token_reset_is_404_at_the_old_address(client, learner, session):
    old = learner.feed_token
    learner.reset_feed_token()

    assert client.get(reverse("zoomgroups:feed", args=[old])).status_code == 404
    assert client.get(reverse("zoomgroups:feed", args=[learner.feed_token])).status_code == 200


def test_feed_of_a_refunded_learner_is_404(client, refunded_learner, session):
    response = client.get(reverse("zoomgroups:feed", args=[refunded_learner.feed_token]))

    assert response.status_code == 404


def test_feed_of_a_learner_refunded_later_is_404(client, learner, session):
    url = reverse("zoomgroups:feed", args=[learner.feed_token])
    assert client.get(url).status_code == 200

    learner.enrollments.update(status="refunded")

    assert client.get(url).status_code == 404


def test_feed_of_an_outsider_is_404(client, outsider, session):
    assert client.get(reverse("zoomgroups:feed", args=[outsider.feed_token])).status_code == 404


def test_feed_queries_do_not_grow(client, learner, cohort, django_assert_max_num_queries):
    services.schedule_sessions(
        cohort=cohort,
        starts=services.fridays(first=dt.date(2026, 11, 27), time=dt.time(12), count=10),
        topic="Group",
    )
    with django_assert_max_num_queries(4):
        response = client.get(reverse("zoomgroups:feed", args=[learner.feed_token]))
    assert len(parse_events(response.content)) == 10


def test_index_offers_the_private_feed_address(client_for, learner, session):
    html = client_for(learner).get(reverse("zoomgroups:index")).content.decode()

    assert reverse("zoomgroups:feed", args=[learner.feed_token]) in html
    assert "webcal://" in html
