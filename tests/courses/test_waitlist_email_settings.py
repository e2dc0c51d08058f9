"""Waitlist news respects the email settings of the account with that address; seat offers
are always sent, and an address without an account gets everything."""

import pytest

from accounts.models import EmailSettings
from courses import services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(course):
    return factories.make_cohort(course, name="Autumn 2027", slug="autumn-2027", seat_cap=1)


def test_no_waitlist_news_for_an_account_that_turned_it_off_but_the_offer_comes(
    outsider, course, small, mailoutbox, django_capture_on_commit_callbacks
):
    EmailSettings.turn_off(user_id=outsider.pk, kind="waitlist_news")
    with django_capture_on_commit_callbacks(execute=True):
        services.join_waitlist(course=course, cohort=None, name="Out", email=outsider.email.upper())
        services.offer_free_seats(cohort_id=small.pk)

    assert [m.subject for m in mailoutbox if "waitlist" in m.subject.lower()] == []
    assert [m.to for m in mailoutbox if "seat is waiting" in m.subject] == [[outsider.email]]


def test_leaving_sends_no_news_when_turned_off(
    outsider, course, mailoutbox, django_capture_on_commit_callbacks
):
    EmailSettings.turn_off(user_id=outsider.pk, kind="waitlist_news")
    services.join_waitlist(course=course, cohort=None, name="Out", email=outsider.email)
    entry = course.waitlist.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.leave_waitlist(entry_id=entry.pk)

    assert mailoutbox == []


def test_an_account_gets_waitlist_news_with_a_one_click_off_link(
    outsider, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.join_waitlist(course=course, cohort=None, name="Out", email=outsider.email)

    (message,) = mailoutbox
    assert "Turn off these emails (Waitlist news" in message.body
    assert "List-Unsubscribe" in message.extra_headers


def test_an_address_without_an_account_gets_the_news_without_an_off_link(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.join_waitlist(course=course, cohort=None, name="Vi", email="vi@example.com")

    (message,) = mailoutbox
    assert "Turn off these emails" not in message.body
    assert "List-Unsubscribe" not in message.extra_headers
    assert "/profile/emails/" in message.body


def test_no_lapsed_offer_news_when_turned_off(
    outsider, course, small, mailoutbox, django_capture_on_commit_callbacks
):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    EmailSettings.turn_off(user_id=outsider.pk, kind="waitlist_news")
    services.join_waitlist(course=course, cohort=None, name="Out", email=outsider.email)
    services.join_waitlist(course=course, cohort=None, name="Next", email="next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=49)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.sweep()["offers"] == 1

    assert [m for m in mailoutbox if "passed on" in m.subject] == []
    assert [m.to for m in mailoutbox if "seat is waiting" in m.subject] == [["next@example.com"]]
