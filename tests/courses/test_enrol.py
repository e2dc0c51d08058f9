"""Enrolling in a cohort: the enrol page, Stripe Checkout against the fake, the success page."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Cohort, Enrollment, Offer, SeatHold, WaitlistEntry
from tests import factories
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db
# When a checkout hold has lapsed: its Stripe session, then the grace after it.
HOLD_OVER = services.STRIPE_MIN_SESSION + services.CHECKOUT_GRACE + dt.timedelta(minutes=1)


def enrol_url(cohort) -> str:
    return reverse("courses:enrol", args=[cohort.pk])


def start(client, cohort):
    return client.post(enrol_url(cohort))


def test_visitor_sees_the_enrol_page_with_sign_in_links(client, cohort, fake_stripe):
    response = client.get(enrol_url(cohort))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Sign in" in body and "$1,200" in body
    assert "Continue to secure payment" not in body


def test_enrol_page_links_financial_aid_once(client_for, outsider, cohort):
    aid = reverse("courses:aid_request", args=[cohort.course.slug])
    without_stripe = client_for(outsider).get(enrol_url(cohort)).content.decode()
    assert without_stripe.count(f'href="{aid}"') == 1


def test_enrol_page_with_stripe_links_financial_aid_once(client, cohort, fake_stripe):
    aid = reverse("courses:aid_request", args=[cohort.course.slug])
    assert client.get(enrol_url(cohort)).content.decode().count(f'href="{aid}"') == 1


def test_visitor_posting_enrol_is_sent_to_sign_in(client, cohort, fake_stripe):
    response = start(client, cohort)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert SeatHold.objects.count() == 0


def test_draft_cohort_enrol_page_is_404_for_everyone_but_staff(client_for, outsider, staff, course):
    draft = factories.make_cohort(course, status=Cohort.Status.DRAFT)

    assert client_for(None).get(enrol_url(draft)).status_code == 404
    assert client_for(outsider).get(enrol_url(draft)).status_code == 404
    assert client_for(staff).get(enrol_url(draft)).status_code == 200


def test_unknown_cohort_is_404(client):
    assert client.get("/enrol/999999/").status_code == 404


def test_without_stripe_keys_enrol_explains_payment_is_not_configured(client_for, outsider, cohort):
    c = client_for(outsider)
    page = c.get(enrol_url(cohort)).content.decode()
    assert "Online payment is not configured" in page

    response = c.post(enrol_url(cohort), follow=True)

    assert "Online payment is not configured" in response.content.decode()
    assert SeatHold.objects.count() == 0
    assert not Enrollment.objects.filter(user=outsider).exists()


def test_enrol_holds_a_seat_and_redirects_to_stripe_checkout(
    client_for, outsider, cohort, fake_stripe
):
    response = start(client_for(outsider), cohort)

    hold = SeatHold.objects.get(user=outsider)
    session = fake_stripe.sessions[hold.stripe_session_id]
    assert response.status_code == 302
    assert response["Location"] == session["url"]
    assert hold.state == SeatHold.State.ACTIVE
    assert session["amount_total"] == cohort.price_cents
    assert session["allow_promotion_codes"] is True
    assert session["metadata"] == {"hold_id": str(hold.pk), "cohort_id": str(cohort.pk)}
    assert 30 < (session["expires_at"] - session["created"]) / 60 <= 33  # Stripe's window
    assert hold.expires_at.timestamp() > session["expires_at"]  # the hold outlasts checkout
    create = [r for r in fake_stripe.requests if r[1] == "/v1/checkout/sessions"]
    assert create[0][3] == f"checkout-hold-{hold.pk}"  # the idempotency key
    # Stripe emails the card receipt: the confirmation email promises it.
    assert create[0][2]["payment_intent_data"]["receipt_email"] == outsider.email


def test_enrolling_twice_reuses_the_same_hold_and_session(
    client_for, outsider, cohort, fake_stripe
):
    c = client_for(outsider)
    first = start(c, cohort)
    second = start(c, cohort)

    assert first["Location"] == second["Location"]
    assert SeatHold.objects.filter(user=outsider).count() == 1
    assert len(fake_stripe.sessions) == 1


def test_full_cohort_refuses_checkout_and_points_to_the_waitlist(
    client_for, outsider, course, fake_stripe
):
    full = factories.make_cohort(course, seat_cap=1)
    factories.enrol(factories.make_user(), full)

    c = client_for(outsider)
    response = start(c, full)
    page = c.get(response["Location"]).content.decode()

    assert "This run is full" in page
    assert "Join the waitlist" in page
    assert not fake_stripe.sessions


def test_closed_enrolment_window_refuses_checkout(client_for, outsider, course, fake_stripe):
    past = factories.make_cohort(course, enrolment_closes_at=timezone.now() - dt.timedelta(days=1))

    start(client_for(outsider), past)

    assert SeatHold.objects.count() == 0


def test_stripe_outage_releases_the_hold_and_explains(client_for, outsider, cohort, fake_stripe):
    fake_stripe.failures = 10
    c = client_for(outsider)

    response = c.post(enrol_url(cohort), follow=True)

    assert "could not reach the payment provider" in response.content.decode()
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.RELEASED


def test_success_page_fulfils_early_and_lands_on_the_enrolled_page(
    client_for, outsider, cohort, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    c = client_for(outsider)
    start(c, cohort)
    hold = SeatHold.objects.get(user=outsider)
    fake_stripe.complete(hold.stripe_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = c.get(
            reverse("courses:enrol_success", args=[cohort.pk]),
            {"session_id": hold.stripe_session_id},
            follow=True,
        )

    enrollment = Enrollment.objects.get(user=outsider, cohort=cohort)
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.source == Enrollment.Source.STRIPE
    assert enrollment.amount_paid_cents == cohort.price_cents
    assert response.redirect_chain[-1][0] == reverse("courses:enrolled", args=[cohort.pk])
    body = response.content.decode()
    assert "You are in" in body
    assert reverse("courses:course", args=[cohort.course.slug]) in body
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    [mail] = mailoutbox
    assert mail.to == [outsider.email]
    assert "You are enrolled" in mail.subject
    assert "$1,200" in mail.body  # the receipt


def test_success_page_before_payment_shows_processing(client_for, outsider, cohort, fake_stripe):
    c = client_for(outsider)
    start(c, cohort)
    hold = SeatHold.objects.get(user=outsider)

    response = c.get(
        reverse("courses:enrol_success", args=[cohort.pk]), {"session_id": hold.stripe_session_id}
    )

    assert response.status_code == 200
    assert "Confirming your payment" in response.content.decode()
    assert not Enrollment.objects.filter(user=outsider).exists()


def test_success_page_of_someone_elses_session_is_404(
    client_for, outsider, learner, cohort, course, fake_stripe
):
    other = factories.make_cohort(course)
    start(client_for(outsider), other)
    hold = SeatHold.objects.get(user=outsider)
    fake_stripe.complete(hold.stripe_session_id)

    response = client_for(learner).get(
        reverse("courses:enrol_success", args=[other.pk]), {"session_id": hold.stripe_session_id}
    )

    assert response.status_code == 404
    assert not Enrollment.objects.filter(cohort=other).exists()


def test_success_page_with_a_made_up_session_is_404(client_for, outsider, cohort, fake_stripe):
    url = reverse("courses:enrol_success", args=[cohort.pk])
    assert client_for(outsider).get(url, {"session_id": "cs_nope"}).status_code == 404
    assert client_for(outsider).get(url).status_code == 404


def test_cancelled_checkout_keeps_the_seat_until_the_person_releases_it(
    client_for, outsider, course, fake_stripe
):
    small = factories.make_cohort(course, seat_cap=1)
    c = client_for(outsider)
    start(c, small)
    assert small.seats_free == 0
    url = reverse("courses:enrol_cancelled", args=[small.pk])

    # Issue 20: the page Stripe sends people back to only offers the button.
    page = c.get(url)
    assert page.status_code == 200
    assert "Release my seat now" in page.content.decode()
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.ACTIVE

    response = c.post(url)

    assert response.status_code == 302
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.RELEASED
    assert Cohort.objects.get(pk=small.pk).seats_free == 1


def test_a_link_on_another_site_cannot_cancel_a_checkout(client_for, outsider, course, fake_stripe):
    small = factories.make_cohort(course, seat_cap=1)
    start(client_for(outsider), small)
    strict = Client(enforce_csrf_checks=True)
    sign_in(strict, outsider)
    url = reverse("courses:enrol_cancelled", args=[small.pk])

    followed = strict.get(url, HTTP_REFERER="https://evil.example/")
    forged = strict.post(url, HTTP_REFERER="https://evil.example/")

    assert followed.status_code == 200 and forged.status_code == 403
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.ACTIVE
    assert Cohort.objects.get(pk=small.pk).seats_free == 0


def test_cancelled_page_offers_to_return_to_the_held_payment(
    client_for, outsider, cohort, fake_stripe
):
    c = client_for(outsider)
    first = start(c, cohort)
    page = c.get(reverse("courses:enrol_cancelled", args=[cohort.pk])).content.decode()

    assert f'action="{enrol_url(cohort)}"' in page
    assert start(c, cohort)["Location"] == first["Location"]  # the same held seat and session


def test_cancelled_page_without_a_held_seat_only_says_nothing_was_charged(
    client_for, outsider, cohort
):
    page = client_for(outsider).get(reverse("courses:enrol_cancelled", args=[cohort.pk]))

    assert page.status_code == 200
    assert "Nothing was charged" in page.content.decode()
    assert "Release my seat now" not in page.content.decode()


def test_enrolled_page_is_404_for_people_not_enrolled(
    client_for, outsider, other_learner, learner, cohort
):
    url = reverse("courses:enrolled", args=[cohort.pk])

    assert client_for(outsider).get(url).status_code == 404
    assert client_for(other_learner).get(url).status_code == 404
    assert client_for(learner).get(url).status_code == 200


def test_hold_expiry_frees_the_seat_for_the_next_person(client_for, outsider, course, fake_stripe):
    small = factories.make_cohort(course, seat_cap=1)
    start(client_for(outsider), small)
    second = factories.make_user()

    with pytest.raises(services.SeatUnavailable):
        services.reserve_seat(cohort_id=small.pk, user=second)
    with time_machine.travel(timezone.now() + HOLD_OVER):
        hold = services.reserve_seat(cohort_id=small.pk, user=second)
        counts = services.sweep()

    assert hold.user == second
    assert counts["holds"] == 1
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.EXPIRED


def test_sweeper_expires_the_stripe_session_of_a_lapsed_hold(
    client_for, outsider, cohort, fake_stripe, django_capture_on_commit_callbacks
):
    start(client_for(outsider), cohort)
    hold = SeatHold.objects.get(user=outsider)

    with (
        time_machine.travel(timezone.now() + HOLD_OVER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.sweep()

    assert fake_stripe.sessions[hold.stripe_session_id]["status"] == "expired"


def test_staff_enrol_by_hand_respects_the_cap(course, outsider):
    small = factories.make_cohort(course, seat_cap=1)
    services.enrol_by_staff(cohort_id=small.pk, user=outsider, complimentary=True)

    with pytest.raises(services.SeatUnavailable):
        services.enrol_by_staff(cohort_id=small.pk, user=factories.make_user())
    assert Enrollment.objects.get(user=outsider).status == Enrollment.Status.COMPED


def course_page(client, course) -> str:
    return client.get(reverse("courses:course", args=[course.slug])).content.decode()


def test_call_to_action_without_stripe_says_payment_is_not_configured(client, cohort, course):
    page = course_page(client, course)

    assert "Online payment is not configured" in page
    assert reverse("courses:enrol", args=[cohort.pk]) not in page


def test_call_to_action_with_stripe_links_to_enrol_with_seats_left(
    client, cohort, course, fake_stripe
):
    page = course_page(client, course)

    assert reverse("courses:enrol", args=[cohort.pk]) in page
    assert "20 seats left" in page
    assert reverse("courses:aid_request", args=[course.slug]) in page


def test_call_to_action_of_a_full_run_offers_the_waitlist(client, course, fake_stripe):
    full = factories.make_cohort(course, seat_cap=1)
    factories.enrol(factories.make_user(), full)

    page = course_page(client, course)

    assert "is full" in page
    assert reverse("courses:waitlist", args=[course.slug, full.slug]) in page


def test_call_to_action_without_an_open_run_offers_the_next_run_waitlist(client, course):
    page = course_page(client, course)

    assert "No run is open right now" in page
    assert reverse("courses:waitlist", args=[course.slug]) in page


def test_call_to_action_for_an_enrolled_learner_leads_to_the_course(
    client_for, learner, cohort, course
):
    page = client_for(learner).get(reverse("home")).content.decode()

    assert "You are enrolled" in page
    assert reverse("courses:enrolled", args=[cohort.pk]) in page


def test_home_page_queries_stay_flat_with_the_calls_to_action(
    client_for, outsider, django_assert_max_num_queries, fake_stripe
):
    c = client_for(outsider)
    for n in (1, 2, 3):
        course = factories.make_course(n)
        factories.make_cohort(course)
    with django_assert_max_num_queries(12):
        assert c.get(reverse("home")).status_code == 200


def test_success_page_after_a_refund_says_the_enrolment_ended(
    client_for, outsider, cohort, fake_stripe
):
    c = client_for(outsider)
    start(c, cohort)
    hold = SeatHold.objects.get(user=outsider)
    fake_stripe.complete(hold.stripe_session_id)
    url = reverse("courses:enrol_success", args=[cohort.pk])
    c.get(url, {"session_id": hold.stripe_session_id})
    services.end_access(
        enrollment_id=Enrollment.objects.get(user=outsider).pk, status=Enrollment.Status.REFUNDED
    )

    response = c.get(url, {"session_id": hold.stripe_session_id})

    assert "This enrolment has ended" in response.content.decode()


@pytest.mark.parametrize("persona", ["visitor", "outsider"])
def test_public_enrolment_pages_use_few_queries(
    client_for, outsider, cohort, course, persona, django_assert_max_num_queries, fake_stripe
):
    from courses.models import Offer

    services.join_waitlist(course=course, cohort=None, name="w", email="w@example.com")
    [offer] = services.offer_free_seats(cohort_id=cohort.pk)
    for _ in range(5):
        factories.enrol(factories.make_user(), cohort)
    c = client_for(outsider if persona == "outsider" else None)
    urls = [
        reverse("courses:enrol", args=[cohort.pk]),
        reverse("courses:waitlist", args=[course.slug]),
        reverse("courses:waitlist", args=[course.slug, cohort.slug]),
        reverse("courses:aid_request", args=[course.slug]),
        reverse("courses:offer", args=[Offer.objects.get(pk=offer.pk).token]),
    ]
    # The offer was made to w@example.com: the outsider is refused (404), a visitor may look.
    expected = [200, 200, 200, 200, 404 if persona == "outsider" else 200]
    for url, status in zip(urls, expected, strict=True):
        with django_assert_max_num_queries(12):
            assert c.get(url).status_code == status, url


def test_seat_counts_count_only_what_takes_or_holds_a_seat_now(course, cohort, other_cohort):
    """`with_seat_counts` (the one seat count): each row below is counted, or not, for a reason."""
    now = timezone.now()
    for status in Enrollment.Status:
        factories.enrol(factories.make_user(f"{status}@example.com"), cohort, status=status)
    factories.enrol(factories.make_user("elsewhere@example.com"), other_cohort)
    for n, (state, minutes) in enumerate(
        [(SeatHold.State.ACTIVE, 5), (SeatHold.State.ACTIVE, -5), (SeatHold.State.RELEASED, 5)]
    ):
        SeatHold.objects.create(
            cohort=cohort,
            user=factories.make_user(f"hold{n}@example.com"),
            state=state,
            expires_at=now + dt.timedelta(minutes=minutes),
            amount_cents=100,
        )
    for n, (status, minutes) in enumerate(
        [(Offer.Status.PENDING, 5), (Offer.Status.PENDING, -5), (Offer.Status.ACCEPTED, 5)]
    ):
        Offer.objects.create(
            cohort=cohort,
            name="Olive",
            email=f"offer{n}@example.com",
            price_cents=0,
            status=status,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
    waiting = WaitlistEntry.Status.WAITING
    for n, (entry_cohort, entry_course, status) in enumerate(
        [
            (cohort, course, waiting),
            (None, course, waiting),  # the trimester's next run: any run of it
            (None, course, WaitlistEntry.Status.ENROLLED),
            (other_cohort, other_cohort.course, waiting),
        ]
    ):
        WaitlistEntry.objects.create(
            cohort=entry_cohort,
            course=entry_course,
            status=status,
            name="Wes",
            email=f"wait{n}@example.com",
        )

    counted = Cohort.objects.with_seat_counts().get(pk=cohort.pk)
    assert (counted.seats_taken, counted.seats_held, counted.waitlist_length) == (2, 2, 2)
    later = Cohort.objects.with_seat_counts(now + dt.timedelta(minutes=10)).get(pk=cohort.pk)
    assert (later.seats_taken, later.seats_held) == (2, 0)
    empty = Cohort.objects.with_seat_counts().get(pk=factories.make_cohort(course).pk)
    assert (empty.seats_taken, empty.seats_held, empty.waitlist_length) == (0, 0, 1)
