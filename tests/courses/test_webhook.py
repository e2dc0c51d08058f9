"""The Stripe webhook: signed events, processed once, in any order, with the right end state."""

import datetime as dt
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Course, Enrollment, Offer, SeatHold, StripeEvent, WaitlistEntry
from tests import factories
from tests.fakestripe import WEBHOOK_SECRET, FakeStripe, sign

pytestmark = pytest.mark.django_db
URL = "/stripe/webhook/"
# When a checkout hold has lapsed: its Stripe session, then the grace after it.
HOLD_OVER = services.STRIPE_MIN_SESSION + services.CHECKOUT_GRACE + dt.timedelta(minutes=1)


def checkout(user, cohort) -> SeatHold:
    services.start_checkout(
        cohort_id=cohort.pk, user=user, success_url="http://x/s", cancel_url="http://x/c"
    )
    return SeatHold.objects.get(user=user, cohort=cohort, state=SeatHold.State.ACTIVE)


def paid_event(fake, hold, kind="checkout.session.completed", **extra):
    session = fake.complete(hold.stripe_session_id)
    session.update(extra)
    return FakeStripe.event(kind, session)


def deliver(client, event, capture):
    with capture(execute=True):
        return FakeStripe.deliver(client, event)


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def buyer(db):
    return factories.make_user("buyer@example.com", display_name="Bea Buyer")


def test_url_is_the_stripe_webhook():
    assert reverse("courses:stripe_webhook") == URL


def test_bad_signature_is_400_and_nothing_is_stored(client, buyer, cohort, fake_stripe):
    hold = checkout(buyer, cohort)
    payload = json.dumps(paid_event(fake_stripe, hold))

    response = client.post(
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload, "whsec_wrong"),
    )

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert not Enrollment.objects.filter(user=buyer).exists()


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "t=abc,v1=zz", "v1=deadbeef", "t=1,v1=", "t=" + "9" * 40 + ",v1=00"],
)
def test_malformed_signature_headers_are_400(client, fake_stripe, header):
    payload = json.dumps(FakeStripe.event("checkout.session.completed", {"id": "cs_1"}))
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}

    response = client.post(URL, payload, content_type="application/json", **extra)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_an_old_signature_is_refused_as_a_replay(client, fake_stripe):
    payload = json.dumps(FakeStripe.event("checkout.session.completed", {"id": "cs_1"}))
    old = sign(payload, WEBHOOK_SECRET, timestamp=int(timezone.now().timestamp()) - 3600)

    response = client.post(URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=old)

    assert response.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[]",
        "{}",
        json.dumps({"id": "evt_1", "object": "event", "type": "x"}),
        json.dumps({"id": "evt_1", "object": "event", "type": "charge.refunded", "data": {}}),
        json.dumps(
            {
                "id": "evt_1",
                "object": "event",
                "type": "checkout.session.completed",
                "data": {"object": {"payment_status": "paid"}},
            }
        ),
        json.dumps({"id": 5, "object": "event", "type": "t", "data": {"object": {}}}),
    ],
)
def test_signed_but_malformed_bodies_are_400_and_never_500(client, fake_stripe, payload):
    response = client.post(
        URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(payload)
    )

    assert response.status_code == 400
    # Signed, so from Stripe: kept for staff, and nothing else done.
    assert list(StripeEvent.objects.values_list("outcome", flat=True)) == ["malformed"]


def test_without_a_webhook_secret_every_event_is_refused(client, settings, fake_stripe):
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = FakeStripe.event("checkout.session.completed", {"id": "cs_1"})

    assert FakeStripe.deliver(client, event).status_code == 400


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_completed_checkout_enrols_once_and_records_the_outcome(
    client, buyer, cohort, fake_stripe, capture, mailoutbox
):
    hold = checkout(buyer, cohort)
    event = paid_event(fake_stripe, hold)

    response = deliver(client, event, capture)

    assert response.status_code == 200
    enrollment = Enrollment.objects.get(user=buyer, cohort=cohort)
    assert enrollment.grants_access
    assert (
        enrollment.stripe_payment_intent
        == fake_stripe.sessions[hold.stripe_session_id]["payment_intent"]
    )
    record = StripeEvent.objects.get(event_id=event["id"])
    assert (record.outcome, record.enrollment) == (StripeEvent.Outcome.ENROLLED, enrollment)
    assert [m.subject for m in mailoutbox] == [
        "You are enrolled: How Therapy Works (Spring 2027) · How Therapy Works"
    ]
    assert Course.objects.accessible_to(buyer).filter(pk=cohort.course_id).exists()


def test_duplicate_delivery_is_processed_once(
    client, buyer, cohort, fake_stripe, capture, mailoutbox
):
    event = paid_event(fake_stripe, checkout(buyer, cohort))

    first = deliver(client, event, capture)
    second = deliver(client, event, capture)

    assert first.json()["duplicate"] is False
    assert second.status_code == 200 and second.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert Enrollment.objects.filter(user=buyer).count() == 1
    assert len(mailoutbox) == 1


def test_the_same_payment_reported_by_two_events_enrols_once(
    client, buyer, cohort, fake_stripe, capture
):
    hold = checkout(buyer, cohort)
    completed = paid_event(fake_stripe, hold)
    succeeded = paid_event(fake_stripe, hold, kind="checkout.session.async_payment_succeeded")

    deliver(client, completed, capture)
    deliver(client, succeeded, capture)

    assert Enrollment.objects.filter(user=buyer).count() == 1
    assert (
        StripeEvent.objects.get(event_id=succeeded["id"]).outcome
        == StripeEvent.Outcome.ALREADY_DONE
    )


def test_webhook_before_our_session_id_is_saved_matches_by_metadata(
    client, buyer, cohort, fake_stripe, capture
):
    hold = checkout(buyer, cohort)
    session_id = hold.stripe_session_id
    SeatHold.objects.filter(pk=hold.pk).update(stripe_session_id=None)
    session = fake_stripe.complete(session_id)

    deliver(client, FakeStripe.event("checkout.session.completed", session), capture)

    assert Enrollment.objects.get(user=buyer).grants_access
    assert SeatHold.objects.get(pk=hold.pk).stripe_session_id == session_id


def test_delayed_payment_waits_then_enrols_on_success(client, buyer, cohort, fake_stripe, capture):
    hold = checkout(buyer, cohort)
    session = fake_stripe.complete(hold.stripe_session_id, paid=False)

    deliver(client, FakeStripe.event("checkout.session.completed", session), capture)
    assert not Enrollment.objects.filter(user=buyer).exists()

    session = fake_stripe.complete(hold.stripe_session_id)
    deliver(client, FakeStripe.event("checkout.session.async_payment_succeeded", session), capture)
    assert Enrollment.objects.get(user=buyer).grants_access


def test_delayed_payment_failure_releases_the_seat(client, buyer, cohort, fake_stripe, capture):
    hold = checkout(buyer, cohort)
    session = fake_stripe.complete(hold.stripe_session_id, paid=False)

    deliver(client, FakeStripe.event("checkout.session.async_payment_failed", session), capture)

    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.EXPIRED
    assert not Enrollment.objects.filter(user=buyer).exists()


def test_expired_session_releases_the_hold(client, buyer, course, fake_stripe, capture):
    small = factories.make_cohort(course, seat_cap=1)
    hold = checkout(buyer, small)

    deliver(
        client,
        FakeStripe.event("checkout.session.expired", fake_stripe.sessions[hold.stripe_session_id]),
        capture,
    )

    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.EXPIRED
    assert small.seats_free == 1


def test_a_late_expired_event_does_not_undo_an_enrolment(
    client, buyer, cohort, fake_stripe, capture
):
    hold = checkout(buyer, cohort)
    completed = paid_event(fake_stripe, hold)
    expired = FakeStripe.event("checkout.session.expired", completed["data"]["object"])

    deliver(client, completed, capture)
    deliver(client, expired, capture)

    assert Enrollment.objects.get(user=buyer).grants_access
    assert (
        StripeEvent.objects.get(event_id=expired["id"]).outcome == StripeEvent.Outcome.ALREADY_DONE
    )


def test_full_refund_ends_access_at_once_and_offers_the_seat(
    client, client_for, buyer, course, fake_stripe, capture, mailoutbox
):
    small = factories.make_cohort(course, seat_cap=1)
    hold = checkout(buyer, small)
    completed = paid_event(fake_stripe, hold)
    deliver(client, completed, capture)
    services.join_waitlist(course=course, cohort=small, name="Wes Waiting", email="wes@example.com")
    session = completed["data"]["object"]
    charge = FakeStripe.charge(session["payment_intent"], small.price_cents, small.price_cents)

    response = deliver(client, FakeStripe.event("charge.refunded", charge), capture)

    assert response.status_code == 200
    enrollment = Enrollment.objects.get(user=buyer)
    assert enrollment.status == Enrollment.Status.REFUNDED and enrollment.ended_at
    assert not Course.objects.accessible_to(buyer).exists()
    assert not Enrollment.objects.for_user(buyer).granting_access().exists()
    assert client_for(buyer).get(reverse("courses:enrolled", args=[small.pk])).status_code == 404
    offer = Offer.objects.get(cohort=small)
    assert offer.email == "wes@example.com"
    assert {m.to[0] for m in mailoutbox} >= {"buyer@example.com", "wes@example.com"}


def test_partial_refund_keeps_access(client, buyer, cohort, fake_stripe, capture):
    completed = paid_event(fake_stripe, checkout(buyer, cohort))
    deliver(client, completed, capture)
    charge = FakeStripe.charge(completed["data"]["object"]["payment_intent"], 1000, 200)

    deliver(client, FakeStripe.event("charge.refunded", charge), capture)

    assert Enrollment.objects.get(user=buyer).grants_access


def test_refund_arriving_before_the_checkout_event_never_enrols(
    client, buyer, cohort, fake_stripe, capture
):
    hold = checkout(buyer, cohort)
    completed = paid_event(fake_stripe, hold)
    pi = completed["data"]["object"]["payment_intent"]
    refunded = FakeStripe.event("charge.refunded", FakeStripe.charge(pi, 1000, 1000))

    deliver(client, refunded, capture)
    deliver(client, completed, capture)

    assert not Enrollment.objects.for_user(buyer).granting_access().exists()
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.REFUNDED
    assert cohort.seats_free == cohort.seat_cap


def test_late_payment_on_a_full_cohort_is_refunded_and_never_over_the_cap(
    client, buyer, course, fake_stripe, capture, mailoutbox
):
    small = factories.make_cohort(course, seat_cap=1)
    hold = checkout(buyer, small)
    with time_machine.travel(timezone.now() + HOLD_OVER):
        taker = factories.make_user()
        services.enrol_by_staff(cohort_id=small.pk, user=taker)
        completed = paid_event(fake_stripe, hold)

        response = deliver(client, completed, capture)

    assert response.json()["outcome"] == StripeEvent.Outcome.REFUNDED_LATE
    assert not Enrollment.objects.filter(user=buyer).exists()
    assert Enrollment.objects.filter(cohort=small).granting_access().count() == 1
    [refund] = fake_stripe.refunds
    assert refund["payment_intent"] == completed["data"]["object"]["payment_intent"]
    refund_call = next(r for r in fake_stripe.requests if r[1] == "/v1/refunds")
    assert refund_call[3] == f"refund-{refund['payment_intent']}"  # the idempotency key
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.REFUNDED
    assert any("refunded" in m.subject for m in mailoutbox if m.to == ["buyer@example.com"])

    # Stripe's own charge.refunded for our refund changes nothing.
    charge = FakeStripe.charge(refund["payment_intent"], 120000, 120000)
    deliver(client, FakeStripe.event("charge.refunded", charge), capture)
    assert Enrollment.objects.filter(cohort=small).granting_access().count() == 1


def test_late_payment_with_a_seat_still_free_enrols(client, buyer, cohort, fake_stripe, capture):
    hold = checkout(buyer, cohort)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=40)):
        services.sweep()
        deliver(client, paid_event(fake_stripe, hold), capture)

    assert Enrollment.objects.get(user=buyer).grants_access
    assert not fake_stripe.refunds


def test_dispute_lost_ends_access_and_a_late_created_event_does_not_reopen_it(
    client, buyer, cohort, fake_stripe, capture
):
    completed = paid_event(fake_stripe, checkout(buyer, cohort))
    deliver(client, completed, capture)
    pi = completed["data"]["object"]["payment_intent"]
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": pi, "status": "lost"}

    deliver(client, FakeStripe.event("charge.dispute.closed", dispute), capture)
    deliver(
        client,
        FakeStripe.event("charge.dispute.created", {**dispute, "status": "needs_response"}),
        capture,
    )

    enrollment = Enrollment.objects.get(user=buyer)
    assert enrollment.status == Enrollment.Status.CANCELLED
    assert enrollment.dispute_status == "lost"


def test_dispute_opened_then_won_keeps_access(client, buyer, cohort, fake_stripe, capture):
    completed = paid_event(fake_stripe, checkout(buyer, cohort))
    deliver(client, completed, capture)
    pi = completed["data"]["object"]["payment_intent"]
    dispute = {"id": "dp_2", "object": "dispute", "payment_intent": pi, "status": "needs_response"}

    deliver(client, FakeStripe.event("charge.dispute.created", dispute), capture)
    assert Enrollment.objects.get(user=buyer).dispute_status == "open"
    deliver(
        client, FakeStripe.event("charge.dispute.closed", {**dispute, "status": "won"}), capture
    )

    enrollment = Enrollment.objects.get(user=buyer)
    assert enrollment.grants_access and enrollment.dispute_status == "won"


def test_unknown_events_and_sessions_are_recorded_and_answered_200(client, fake_stripe, capture):
    other = deliver(client, FakeStripe.event("customer.created", {"id": "cus_1"}), capture)
    stray = deliver(
        client,
        FakeStripe.event(
            "checkout.session.completed", {"id": "cs_unknown", "payment_status": "paid"}
        ),
        capture,
    )

    assert other.status_code == stray.status_code == 200
    assert set(StripeEvent.objects.values_list("outcome", flat=True)) == {
        StripeEvent.Outcome.IGNORED,
        StripeEvent.Outcome.UNMATCHED,
    }


def test_waitlist_entry_of_a_buyer_is_marked_enrolled(client, buyer, cohort, fake_stripe, capture):
    services.join_waitlist(course=cohort.course, cohort=None, name="Bea", email="BUYER@example.com")

    deliver(client, paid_event(fake_stripe, checkout(buyer, cohort)), capture)

    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.ENROLLED


def test_refund_webhook_locks_the_lessons_at_once(
    client, client_for, buyer, cohort, fake_stripe, capture
):
    lesson = factories.make_lesson(cohort.course, title="Psychopathology", slug="psychopathology")
    url = reverse("lessons:lesson", args=[cohort.course.slug, lesson.slug])
    completed = paid_event(fake_stripe, checkout(buyer, cohort))
    deliver(client, completed, capture)
    learner_client = client_for(buyer)
    assert learner_client.get(url).status_code == 200

    charge = FakeStripe.charge(completed["data"]["object"]["payment_intent"], 1, 1)
    deliver(client, FakeStripe.event("charge.refunded", charge), capture)

    response = learner_client.get(url)
    assert response.status_code == 403  # the locked page, which says why
    assert "was refunded" in response.content.decode()
    assert lesson.chapter not in response.content.decode()


def test_sweeper_task_is_on_the_beat_schedule_and_runs(buyer, cohort, fake_stripe):
    from config.celery import app
    from courses import tasks

    hold = checkout(buyer, cohort)
    entries = {e["task"] for e in app.conf.beat_schedule.values()}
    assert "courses.tasks.sweep_enrolment" in entries

    with time_machine.travel(timezone.now() + HOLD_OVER):
        tasks.sweep_enrolment.delay()

    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.EXPIRED


def test_undecodable_body_is_400(client, fake_stripe):
    response = client.post(
        URL,
        b"\xff\xfe\x00garbage",
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=0",
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "obj",
    [
        {"id": "cs_x", "payment_status": "paid", "metadata": ["not", "a", "dict"]},
        {"id": {"nested": True}, "payment_status": "paid", "metadata": {"hold_id": "x"}},
    ],
)
def test_signed_events_with_odd_fields_never_500(client, fake_stripe, obj):
    response = FakeStripe.deliver(client, FakeStripe.event("checkout.session.completed", obj))

    assert response.status_code in {200, 400}
    assert not Enrollment.objects.exists()
