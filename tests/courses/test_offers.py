"""Personal offer links: they hold a seat, are single-use, expire and pass on, and are personal."""

import datetime as dt
import secrets

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Cohort, Enrollment, Offer, SeatHold, WaitlistEntry
from tests import factories
from tests.fakestripe import FakeStripe

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(course):
    return factories.make_cohort(course, name="Autumn 2027", slug="autumn-2027", seat_cap=1)


@pytest.fixture
def wes(db):
    return factories.make_user("wes@example.com", display_name="Wes Waiting")


def waitlist(course, *emails):
    for email in emails:
        services.join_waitlist(course=course, cohort=None, name=email.split("@")[0], email=email)


def offer_url(offer) -> str:
    return reverse("courses:offer", args=[offer.token])


def test_offer_expiry_passes_the_seat_to_the_next_person(
    course, small, mailoutbox, django_capture_on_commit_callbacks
):
    waitlist(course, "first@example.com", "second@example.com")
    [first] = services.offer_free_seats(cohort_id=small.pk)

    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=47)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.sweep()["offers"] == 0
    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=49)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        counts = services.sweep()

    assert counts["offers"] == 1
    first.refresh_from_db()
    assert first.status == Offer.Status.EXPIRED
    assert (
        WaitlistEntry.objects.get(email="first@example.com").status == WaitlistEntry.Status.LAPSED
    )
    second = Offer.objects.get(email="second@example.com")
    assert second.is_open(timezone.now() + dt.timedelta(hours=49))
    assert [m.to for m in mailoutbox if "seat is waiting" in m.subject] == [["second@example.com"]]
    [lapsed] = [m for m in mailoutbox if "passed on" in m.subject]
    assert lapsed.to == ["first@example.com"]
    assert reverse("courses:waitlist", args=[course.slug]) in lapsed.body
    assert first.token not in lapsed.body


def test_a_pending_offer_holds_the_seat_against_checkout(
    client_for, outsider, course, small, fake_stripe
):
    waitlist(course, "wes@example.com")
    services.offer_free_seats(cohort_id=small.pk)

    with pytest.raises(services.SeatUnavailable):
        services.reserve_seat(cohort_id=small.pk, user=outsider)


def test_offer_link_used_by_someone_else_is_refused(
    client_for, outsider, course, small, fake_stripe
):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)
    c = client_for(outsider)

    page = c.get(offer_url(offer))
    accept = c.post(offer_url(offer))

    assert page.status_code == accept.status_code == 404
    assert "not for this account" in page.content.decode()
    assert "wes@example.com" not in page.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    assert not SeatHold.objects.exists() and not fake_stripe.sessions


def test_visitor_sees_the_offer_and_is_asked_to_sign_in(client, course, small):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    page = client.get(offer_url(offer))
    accept = client.post(offer_url(offer))

    assert page.status_code == 200
    assert "A seat is waiting for you" in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    assert accept["Location"].startswith(reverse("account_login"))


def test_unknown_token_is_404(client):
    assert client.get(reverse("courses:offer", args=[secrets.token_urlsafe(32)])).status_code == 404


@pytest.mark.parametrize("token", ["%00", "a%00b", "..", "%F0%9F%98%80"])
def test_a_malformed_offer_token_is_404_not_an_error(client, token):
    # A NUL byte is refused by the request guard (lib/wellformed.py) before any URL matches.
    expected = 400 if "%00" in token else 404
    assert client.get(f"/offer/{token}/").status_code == expected
    assert client.post(f"/offer/{token}/").status_code == expected


def test_accepting_a_paid_offer_checks_out_and_enrols_once(
    client, client_for, wes, course, small, fake_stripe, django_capture_on_commit_callbacks
):
    waitlist(course, "WES@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)
    c = client_for(wes)

    response = c.post(offer_url(offer))

    hold = SeatHold.objects.get(user=wes)
    assert response["Location"] == fake_stripe.sessions[hold.stripe_session_id]["url"]
    assert hold.offer == offer
    assert small.seats_free == 0
    assert fake_stripe.sessions[hold.stripe_session_id]["allow_promotion_codes"] is False
    session = fake_stripe.complete(hold.stripe_session_id)
    with django_capture_on_commit_callbacks(execute=True):
        FakeStripe.deliver(client, FakeStripe.event("checkout.session.completed", session))

    enrollment = Enrollment.objects.get(user=wes)
    assert (enrollment.status, enrollment.source) == ("active", Enrollment.Source.OFFER)
    offer.refresh_from_db()
    assert (offer.status, offer.accepted_by) == (Offer.Status.ACCEPTED, wes)
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.ENROLLED
    # Single use: the link now says so and cannot start another checkout.
    assert "has been used" in c.get(offer_url(offer)).content.decode()
    c.post(offer_url(offer))
    assert SeatHold.objects.filter(user=wes).count() == 1


def test_abandoned_checkout_gives_the_seat_back_to_the_open_offer(
    client, client_for, wes, course, small, fake_stripe, django_capture_on_commit_callbacks
):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)
    client_for(wes).post(offer_url(offer))
    hold = SeatHold.objects.get(user=wes)

    with django_capture_on_commit_callbacks(execute=True):
        FakeStripe.deliver(
            client,
            FakeStripe.event(
                "checkout.session.expired", fake_stripe.sessions[hold.stripe_session_id]
            ),
        )

    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    assert Cohort.objects.get(pk=small.pk).seats_free == 0
    assert not Offer.objects.exclude(pk=offer.pk).exists()


def test_expired_offer_cannot_be_accepted(client_for, wes, course, small, fake_stripe):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=49)):
        page = client_for(wes).get(offer_url(offer))
        client_for(wes).post(offer_url(offer))

    assert "This offer has lapsed" in page.content.decode()
    assert not SeatHold.objects.exists()
    assert not Enrollment.objects.filter(user=wes).exists()


def test_withdrawn_offer_passes_the_seat_to_the_next_person_at_once(
    course, small, django_capture_on_commit_callbacks
):
    waitlist(course, "wes@example.com", "next@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.withdraw_offer(offer_id=offer.pk)

    # Issue 20: not back in line at the front, where the seat would go straight back to them.
    wes = WaitlistEntry.objects.get(email="wes@example.com")
    assert wes.status == WaitlistEntry.Status.REMOVED
    assert Offer.objects.get(email="next@example.com").status == Offer.Status.PENDING
    assert Cohort.objects.get(pk=small.pk).seats_free == 0


def test_offer_page_without_stripe_explains_payment_is_off(client_for, wes, course, small):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    page = client_for(wes).get(offer_url(offer)).content.decode()

    assert "Online payment is not configured" in page


def test_staff_offer_by_hand_out_of_turn(course, small):
    waitlist(course, "a@example.com", "b@example.com")
    second = WaitlistEntry.objects.get(email="b@example.com")

    offer = services.offer_seat_by_hand(entry_id=second.pk)

    assert (offer.email, offer.cohort) == ("b@example.com", small)
    with pytest.raises(services.SeatUnavailable):
        services.offer_seat_by_hand(entry_id=WaitlistEntry.objects.get(email="a@example.com").pk)


def test_late_payment_from_an_open_offer_uses_the_offer_seat(
    client, client_for, wes, course, small, fake_stripe, django_capture_on_commit_callbacks
):
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)
    client_for(wes).post(offer_url(offer))
    hold = SeatHold.objects.get(user=wes)
    # The checkout hold lapsed (its seat went back to the still-open offer), then payment lands.
    services.release_hold(hold_id=hold.pk, state=SeatHold.State.EXPIRED)
    session = fake_stripe.complete(hold.stripe_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        FakeStripe.deliver(client, FakeStripe.event("checkout.session.completed", session))

    assert Enrollment.objects.get(user=wes).grants_access
    assert not fake_stripe.refunds
    assert Enrollment.objects.filter(cohort=small).granting_access().count() == 1
    assert Cohort.objects.get(pk=small.pk).seats_free == 0


# Issue 20, point 4: waitlist offers never strand seats -------------------------------------


def live_offers(email: str) -> list:
    return list(
        Offer.objects.filter(email=email, status__in=Offer.LIVE_STATUSES).values_list(
            "cohort__name", flat=True
        )
    )


def test_a_person_on_a_runs_list_and_the_next_run_list_gets_one_offer_the_next_person_the_other(
    course,
):
    two = factories.make_cohort(course, name="Two seats", seat_cap=2, status=Cohort.Status.DRAFT)
    services.join_waitlist(course=course, cohort=two, name="wes", email="wes@example.com")
    waitlist(course, "wes@example.com", "next@example.com")
    Cohort.objects.filter(pk=two.pk).update(status=Cohort.Status.OPEN)

    offers = services.offer_free_seats(cohort_id=two.pk)

    assert sorted(o.email for o in offers) == ["next@example.com", "wes@example.com"]


def test_a_person_holding_an_offer_in_one_run_is_not_offered_another_run_of_the_trimester(
    course, small
):
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    waitlist(course, "wes@example.com", "next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    other = factories.make_cohort(course, name="Winter 2028", seat_cap=1)

    [offer] = services.offer_free_seats(cohort_id=other.pk)

    assert offer.email == "next@example.com"
    assert live_offers("wes@example.com") == ["Autumn 2027"]


def test_staff_cannot_offer_by_hand_to_someone_holding_an_offer_for_the_trimester(course, small):
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    waitlist(course, "wes@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    other = factories.make_cohort(course, name="Winter 2028", seat_cap=1)
    next_run = WaitlistEntry.objects.get(email="wes@example.com", cohort=None)

    with pytest.raises(services.EnrolmentError, match="already has an offer"):
        services.offer_seat_by_hand(entry_id=next_run.pk, cohort_id=other.pk)

    assert live_offers("wes@example.com") == ["Autumn 2027"]


def test_enrolling_by_purchase_withdraws_the_persons_other_offer_and_passes_its_seat_on(
    client, client_for, wes, course, small, fake_stripe, django_capture_on_commit_callbacks
):
    services.join_waitlist(course=course, cohort=small, name="wes", email=wes.email)
    services.join_waitlist(course=course, cohort=small, name="next", email="next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    other = factories.make_cohort(course, name="Winter 2028")
    client_for(wes).post(reverse("courses:enrol", args=[other.pk]))
    session = fake_stripe.complete(SeatHold.objects.get(user=wes).stripe_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        FakeStripe.deliver(client, FakeStripe.event("checkout.session.completed", session))

    assert Enrollment.objects.get(user=wes).cohort == other
    assert Offer.objects.get(email=wes.email).status == Offer.Status.WITHDRAWN
    assert live_offers("next@example.com") == ["Autumn 2027"]
    assert WaitlistEntry.objects.get(email=wes.email).status == WaitlistEntry.Status.ENROLLED


def test_enrolling_by_staff_withdraws_the_persons_other_offer_and_passes_its_seat_on(
    client_for, staff, wes, course, small, django_capture_on_commit_callbacks
):
    services.join_waitlist(course=course, cohort=small, name="wes", email=wes.email)
    services.join_waitlist(course=course, cohort=small, name="next", email="next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    other = factories.make_cohort(course, name="Winter 2028")

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("admin:courses_enrollment_add"),
            {"user": wes.pk, "cohort": other.pk, "status": "comped", "amount_paid_cents": 0},
        )

    assert response.status_code == 302
    assert Offer.objects.get(email=wes.email).status == Offer.Status.WITHDRAWN
    assert live_offers("next@example.com") == ["Autumn 2027"]


def test_staff_can_enrol_a_person_in_the_seat_their_offer_holds(
    client_for, staff, wes, course, small, django_capture_on_commit_callbacks
):
    waitlist(course, wes.email, "next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    assert small.seats_free == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            reverse("admin:courses_enrollment_add"),
            {"user": wes.pk, "cohort": small.pk, "status": "active", "amount_paid_cents": 0},
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Enrollment.objects.get(user=wes).cohort == small
    assert Offer.objects.get(email=wes.email).status == Offer.Status.WITHDRAWN
    assert live_offers("next@example.com") == []  # the offer's seat is the one wes took
    assert Cohort.objects.get(pk=small.pk).seats_free == 0


def test_granting_aid_to_someone_holding_a_waitlist_offer_replaces_it_in_the_same_seat(
    client_for, wes, course, small, django_capture_on_commit_callbacks
):
    waitlist(course, wes.email, "next@example.com")
    [waitlist_offer] = services.offer_free_seats(cohort_id=small.pk)
    aid = services.request_aid(
        course=course, name="Wes", email=wes.email, can_pay="", message="Hard year.", user=wes
    )
    aid.cohort = small
    aid.save()

    with django_capture_on_commit_callbacks(execute=True):
        aid_offer = services.grant_aid(aid_id=aid.pk, price_cents=0)
        response = client_for(wes).post(offer_url(aid_offer))

    assert response["Location"] == reverse("courses:enrolled", args=[small.pk])
    assert Enrollment.objects.get(user=wes).status == Enrollment.Status.COMPED
    assert Offer.objects.get(pk=waitlist_offer.pk).status == Offer.Status.WITHDRAWN
    assert live_offers("next@example.com") == []
    assert Cohort.objects.get(pk=small.pk).seats_free == 0


def test_granting_aid_in_another_run_passes_the_waitlist_offers_seat_on(
    course, small, django_capture_on_commit_callbacks
):
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    services.join_waitlist(course=course, cohort=small, name="next", email="next@example.com")
    services.offer_free_seats(cohort_id=small.pk)
    other = factories.make_cohort(course, name="Winter 2028")
    aid = services.request_aid(
        course=course, name="Wes", email="wes@example.com", can_pay="", message="-", user=None
    )
    aid.cohort = other
    aid.save()

    with django_capture_on_commit_callbacks(execute=True):
        services.grant_aid(aid_id=aid.pk, price_cents=5000)

    assert live_offers("wes@example.com") == ["Winter 2028"]
    assert live_offers("next@example.com") == ["Autumn 2027"]


def test_withdrawing_an_offer_never_offers_that_run_to_the_same_person_again(
    course, small, django_capture_on_commit_callbacks
):
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    waitlist(course, "wes@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw_offer(offer_id=offer.pk)
    again = services.offer_free_seats(cohort_id=small.pk)  # the sweeper, later

    assert again == []
    assert live_offers("wes@example.com") == []
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"removed"}
    assert Cohort.objects.get(pk=small.pk).seats_free == 1


def test_staff_withdrawing_an_offer_in_the_admin_passes_the_seat_on_at_once(
    client_for, staff, course, small, django_capture_on_commit_callbacks
):
    waitlist(course, "wes@example.com", "next@example.com")
    [offer] = services.offer_free_seats(cohort_id=small.pk)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            reverse("admin:courses_offer_changelist"),
            {"action": "withdraw", "_selected_action": [offer.pk]},
        )

    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.WITHDRAWN
    assert live_offers("next@example.com") == ["Autumn 2027"]


def test_a_lapsed_offer_is_not_made_again_from_the_persons_other_place_in_line(
    course, small, django_capture_on_commit_callbacks
):
    services.join_waitlist(course=course, cohort=small, name="wes", email="wes@example.com")
    waitlist(course, "wes@example.com", "next@example.com")
    services.offer_free_seats(cohort_id=small.pk)

    with (
        time_machine.travel(timezone.now() + dt.timedelta(hours=49)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.sweep()

    assert live_offers("wes@example.com") == []
    assert live_offers("next@example.com") == ["Autumn 2027"]
    assert set(
        WaitlistEntry.objects.filter(email="wes@example.com").values_list("status", flat=True)
    ) == {"lapsed"}
