"""No stuck states (issue 20, point 7): a completed checkout we cannot honour and cannot
refund ends in a clear terminal state, staff are told, and no sweep retries it forever."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Enrollment, SeatHold, StripeEvent
from tests import factories
from tests.fakestripe import FakeStripe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
HOLD_OVER = services.STRIPE_MIN_SESSION + services.CHECKOUT_GRACE + dt.timedelta(minutes=1)


@pytest.fixture
def full_run_after_lapse(client_for, outsider, course, fake_stripe, staff):
    """`outsider` checked out for the last seat, took too long, and someone else got it."""
    small = factories.make_cohort(course, seat_cap=1)
    client_for(outsider).post(reverse("courses:enrol", args=[small.pk]))
    hold = SeatHold.objects.get(user=outsider)
    traveller = time_machine.travel(timezone.now() + HOLD_OVER)
    traveller.start()
    services.enrol_by_staff(cohort_id=small.pk, user=factories.make_user())
    yield small, hold
    traveller.stop()


def deliver(client, event, capture):
    with capture(execute=True):
        return FakeStripe.deliver(client, event)


def subjects_to(mailoutbox, email: str) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == [email]]


def test_a_free_checkout_completed_into_a_full_run_is_cancelled_and_staff_are_told(
    client,
    client_for,
    outsider,
    staff,
    full_run_after_lapse,
    fake_stripe,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    small, hold = full_run_after_lapse
    session = fake_stripe.complete(hold.stripe_session_id, free=True)  # a 100 % off code

    response = deliver(
        client,
        FakeStripe.event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    assert response.json()["outcome"] == StripeEvent.Outcome.CANCELLED
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.CANCELLED
    assert not Enrollment.objects.filter(user=outsider).exists()
    assert subjects_to(mailoutbox, outsider.email) == [
        "Your place in How Therapy Works could not be kept · How Therapy Works"
    ]
    [to_staff] = [m for m in mailoutbox if m.to == [staff.email]]
    assert f"seat hold #{hold.pk}" in to_staff.subject
    assert reverse("admin:courses_seathold_change", args=[hold.pk]) in to_staff.body
    assert outsider.email not in to_staff.body  # who it was is behind the admin link
    assert services.sweep()["refunds"] == 0
    assert not fake_stripe.refunds
    page = client_for(outsider).get(
        reverse("courses:enrol_success", args=[small.pk]), {"session_id": hold.stripe_session_id}
    )
    assert "Nothing was charged" in page.content.decode()


def test_a_refund_due_without_a_payment_ends_cancelled_once_and_staff_are_told(
    staff, cohort, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    # Left by the code before this fix: "refund due" for a checkout that paid nothing.
    hold = SeatHold.objects.create(
        cohort=cohort,
        user=factories.make_user(),
        amount_cents=0,
        expires_at=timezone.now(),
        state=SeatHold.State.REFUND_DUE,
    )

    with django_capture_on_commit_callbacks(execute=True):
        first = services.sweep()
        second = services.sweep()

    assert (first["refunds"], second["refunds"]) == (1, 0)
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.CANCELLED
    assert len(subjects_to(mailoutbox, staff.email)) == 1
    assert not fake_stripe.refunds


def test_a_refund_stripe_refuses_ends_unrefunded_and_staff_are_told(
    client, staff, full_run_after_lapse, fake_stripe, django_capture_on_commit_callbacks, mailoutbox
):
    _, hold = full_run_after_lapse
    fake_stripe.refuse_refunds = "charge_disputed"
    session = fake_stripe.complete(hold.stripe_session_id)

    response = deliver(
        client,
        FakeStripe.event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    assert response.json()["outcome"] == StripeEvent.Outcome.REFUNDED_LATE
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.UNREFUNDED
    assert len(subjects_to(mailoutbox, staff.email)) == 1
    assert services.sweep()["refunds"] == 0


def test_a_payment_already_refunded_at_stripe_counts_as_refunded(
    client, outsider, full_run_after_lapse, fake_stripe, django_capture_on_commit_callbacks
):
    _, hold = full_run_after_lapse
    session = fake_stripe.complete(hold.stripe_session_id)
    fake_stripe.refunded.add(session["payment_intent"])  # staff refunded it at Stripe already

    deliver(
        client,
        FakeStripe.event("checkout.session.completed", session),
        django_capture_on_commit_callbacks,
    )

    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.REFUNDED
    assert services.sweep()["refunds"] == 0
