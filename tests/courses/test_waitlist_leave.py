"""Leaving the waitlist: by the link in every waitlist and offer email (no account needed) or
from the profile. A GET asks; only a POST leaves; a seat offered from the list passes on."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from courses import services
from courses.models import Offer, WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db

LEAVE_LINK = re.compile(r"https?://[^\s\"<>]+/leave-waitlist/[^\s\"<>/]+/")


def form(**fields):
    return {"name": "Wes Waiting", "email": "wes@example.com", "message": "Evenings", **fields}


def link_in(mail) -> str:
    """The leave link of an email, as a path; the plain and the HTML part carry the same."""
    [text_link] = LEAVE_LINK.findall(mail.body)
    [html_link] = LEAVE_LINK.findall(mail.alternatives[0][0])
    assert text_link == html_link
    return "/" + text_link.split("/", 3)[3]


@pytest.fixture
def joined(client, course, mailoutbox, django_capture_on_commit_callbacks):
    """Wes joined the next-run list through the public form; the path of his leave link."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("courses:waitlist", args=[course.slug]), form())
    [mail] = mailoutbox
    mailoutbox.clear()
    return link_in(mail)


def test_the_waitlist_email_links_to_a_page_that_asks_before_leaving(client, joined, course):
    response = client.get(joined)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Leave the waitlist?</h1>" in page
    assert '<form method="post">' in page and "csrfmiddlewaretoken" in page
    assert course.title in page
    assert "no-store" in response["Cache-Control"]
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.WAITING


def test_a_visitor_leaves_by_the_emailed_link_and_is_told_on_the_page_and_by_email(
    client, joined, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(joined, follow=True)

    assert response.redirect_chain == [(joined, 302)]
    page = response.content.decode()
    assert "<h1>You have left the waitlist</h1>" in page
    assert "We have sent you a confirmation by email" in page
    assert reverse("courses:waitlist", args=[course.slug]) in page
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.REMOVED
    [mail] = mailoutbox
    assert mail.to == ["wes@example.com"]
    assert "You have left the waitlist" in mail.subject
    assert "Evenings" not in mail.body


def test_leaving_twice_changes_nothing_more_and_sends_one_confirmation(
    client, joined, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(joined)
        second = client.post(joined, follow=True)

    assert "<h1>You have left the waitlist</h1>" in second.content.decode()
    assert len(mailoutbox) == 1


def test_leaving_needs_a_post_with_the_pages_csrf_token(joined):
    strict = Client(enforce_csrf_checks=True)

    assert strict.post(joined).status_code == 403
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.WAITING


def test_the_leave_page_names_the_course_but_never_the_person(client, joined):
    page = client.get(joined).content.decode()

    assert "Wes Waiting" not in page
    assert "wes@example.com" not in page
    assert "Evenings" not in page


@pytest.mark.parametrize("token", ["nope", "a" * 300, "..", "%00", "%F0%9F%98%80"])
def test_an_unknown_or_malformed_token_is_404(client, joined, token):
    url = f"/leave-waitlist/{token}/"
    # A NUL byte is refused by the request guard (lib/wellformed.py) before any URL matches.
    expected = 400 if "%00" in token else 404

    assert client.get(url).status_code == expected
    assert client.post(url).status_code == expected
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.WAITING


def test_each_place_in_line_has_its_own_unguessable_link(course, cohort):
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    services.join_waitlist(course=course, cohort=cohort, name="a", email="a@example.com")
    services.join_waitlist(course=course, cohort=None, name="b", email="b@example.com")

    tokens = list(WaitlistEntry.objects.values_list("leave_token", flat=True))

    assert len(set(tokens)) == 3
    assert all(len(token) >= 40 for token in tokens)  # 32 random bytes


def test_leaving_with_a_pending_offer_withdraws_it_and_passes_the_seat_on(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    small = factories.make_cohort(course, name="Autumn 2027", seat_cap=1)
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    services.join_waitlist(course=course, cohort=None, name="wes", email="wes@example.com")
    services.join_waitlist(course=course, cohort=small, name="next", email="next@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        [offer] = services.offer_free_seats(cohort_id=small.pk)
    [offer_mail] = [m for m in mailoutbox if "seat is waiting" in m.subject]
    leave = link_in(offer_mail)
    assert "leaving gives that seat to the next person" in client.get(leave).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(leave)

    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.WITHDRAWN
    nxt = Offer.objects.get(email="next@example.com")
    assert (nxt.cohort, nxt.status) == (small, Offer.Status.PENDING)
    # Not offered that run again from Wes's other place in line (the next-run list).
    assert set(
        WaitlistEntry.objects.filter(email="wes@example.com").values_list("status", flat=True)
    ) == {"removed"}


def test_the_offer_page_links_to_leaving(client, course, cohort):
    services.join_waitlist(course=course, cohort=None, name="wes", email="wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=cohort.pk)

    page = client.get(reverse("courses:offer", args=[offer.token])).content.decode()

    assert WaitlistEntry.objects.get().get_leave_url() in page


def test_an_aid_offer_email_has_no_waitlist_link(
    course, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    aid = services.request_aid(
        course=course, name="Ann", email="ann@example.com", can_pay="", message="-", user=None
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_aid(aid_id=aid.pk, price_cents=0)

    offer_mail = next(m for m in mailoutbox if "seat is waiting" in m.subject)
    assert not LEAVE_LINK.search(offer_mail.body)


def test_learner_sees_their_waitlists_on_their_profile_and_leaves_from_there(
    client_for, outsider, course, cohort, django_capture_on_commit_callbacks
):
    c = client_for(outsider)
    c.post(reverse("courses:waitlist", args=[course.slug]), form(email=outsider.email))
    services.join_waitlist(course=course, cohort=None, name="Other", email="else@example.com")
    entry = WaitlistEntry.objects.get(email=outsider.email)

    profile = c.get(reverse("accounts:profile")).content.decode()

    assert '<h2 id="waitlist-profile-title">Waitlists</h2>' in profile
    assert f'href="{entry.get_leave_url()}"' in profile
    assert profile.count("/leave-waitlist/") == 1  # not someone else's place
    with django_capture_on_commit_callbacks(execute=True):
        c.post(entry.get_leave_url())
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.Status.REMOVED
    assert "Waitlists" not in c.get(reverse("accounts:profile")).content.decode()


def test_the_leave_page_after_enrolment_or_a_lapse_says_so_and_changes_nothing(
    client, course, cohort
):
    services.join_waitlist(course=course, cohort=None, name="wes", email="wes@example.com")
    entry = WaitlistEntry.objects.get()
    for status, heading in [
        (WaitlistEntry.Status.ENROLLED, "You are enrolled"),
        (WaitlistEntry.Status.LAPSED, "You are no longer on the waitlist"),
    ]:
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=status)

        client.post(entry.get_leave_url())

        assert heading in client.get(entry.get_leave_url()).content.decode()
        assert WaitlistEntry.objects.get(pk=entry.pk).status == status
