"""Reconciliation: what Stripe knows when its webhook never reached us (issue 20, point 2).

A paid checkout is settled before its hold lapses (the sweeper asks Stripe), and
`manage.py stripe_reconcile` applies the events the site missed, through the webhook's code.
"""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courses import services
from courses.models import Enrollment, SeatHold, StripeEvent
from tests import factories
from tests.fakestripe import FakeStripe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
ROOT = Path(__file__).resolve().parents[2]
CHECKOUT_CLOSED = services.STRIPE_MIN_SESSION + dt.timedelta(minutes=1)
HOLD_OVER = services.STRIPE_MIN_SESSION + services.CHECKOUT_GRACE + dt.timedelta(minutes=1)


def pay_without_webhook(client_for, user, cohort, fake_stripe) -> SeatHold:
    """Check out through the site and pay at Stripe; the webhook never arrives and the buyer
    closes the tab instead of coming back to the success page."""
    client_for(user).post(reverse("courses:enrol", args=[cohort.pk]))
    hold = SeatHold.objects.get(user=user, cohort=cohort)
    fake_stripe.complete(hold.stripe_session_id)
    return hold


def test_sweeper_fulfils_a_checkout_paid_without_a_webhook_before_its_seat_goes(
    client_for, outsider, course, fake_stripe
):
    small = factories.make_cohort(course, seat_cap=1)
    hold = pay_without_webhook(client_for, outsider, small, fake_stripe)

    with time_machine.travel(timezone.now() + CHECKOUT_CLOSED):
        counts = services.sweep()
        # Someone else tries for the seat: it was paid for, so it is not free.
        with pytest.raises(services.SeatUnavailable):
            services.reserve_seat(cohort_id=small.pk, user=factories.make_user())

    assert counts["reconciled"] == 1
    assert Enrollment.objects.get(user=outsider, cohort=small).grants_access
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.CONVERTED
    record = StripeEvent.objects.get()
    assert (record.source, record.outcome) == ("reconciliation", StripeEvent.Outcome.ENROLLED)
    assert not fake_stripe.refunds


def test_sweeper_settles_a_lapsed_paid_hold_and_refunds_when_the_seat_is_gone(
    client_for, outsider, course, fake_stripe
):
    small = factories.make_cohort(course, seat_cap=1)
    hold = pay_without_webhook(client_for, outsider, small, fake_stripe)

    # The sweeper did not run for a while (a deploy): the hold lapsed and the seat was taken.
    with time_machine.travel(timezone.now() + HOLD_OVER):
        services.enrol_by_staff(cohort_id=small.pk, user=factories.make_user())
        services.sweep()

    assert not Enrollment.objects.filter(user=outsider).exists()
    assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.REFUNDED
    [refund] = fake_stripe.refunds
    assert (
        refund["payment_intent"] == fake_stripe.sessions[hold.stripe_session_id]["payment_intent"]
    )


def test_sweeper_releases_an_abandoned_checkout_once_stripe_closed_it(
    client_for, outsider, course, fake_stripe
):
    small = factories.make_cohort(course, seat_cap=1)
    client_for(outsider).post(reverse("courses:enrol", args=[small.pk]))

    with time_machine.travel(timezone.now() + CHECKOUT_CLOSED):
        counts = services.sweep()

    assert counts["holds"] == 1
    assert SeatHold.objects.get(user=outsider).state == SeatHold.State.EXPIRED
    assert small.seats_free == 1
    assert not StripeEvent.objects.exists()


def test_stripe_outage_leaves_the_hold_for_the_next_sweep(
    client_for, outsider, course, fake_stripe
):
    small = factories.make_cohort(course, seat_cap=1)
    hold = pay_without_webhook(client_for, outsider, small, fake_stripe)

    with time_machine.travel(timezone.now() + HOLD_OVER):
        fake_stripe.failures = 10
        assert services.sweep()["failed"] == 1
        assert SeatHold.objects.get(pk=hold.pk).state == SeatHold.State.ACTIVE
        fake_stripe.failures = 0
        services.sweep()

    assert Enrollment.objects.get(user=outsider).grants_access


def run_reconcile(fake_stripe, *args: str) -> subprocess.CompletedProcess:
    """`manage.py stripe_reconcile` in its own process, on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "STRIPE_SECRET_KEY": "sk_test_fake",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_fake",
        "STRIPE_API_BASE": fake_stripe.url,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "stripe_reconcile", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)  # another process reads what this one wrote
def test_stripe_reconcile_applies_what_the_webhook_missed_and_says_what_it_did(
    client, client_for, course, fake_stripe, django_capture_on_commit_callbacks
):
    cohort = factories.make_cohort(course)
    paid, refunded, disputed, delivered = (factories.make_user() for _ in range(4))
    # Delivered as usual before the outage: reconciliation leaves it alone.
    hold = pay_without_webhook(client_for, delivered, cohort, fake_stripe)
    with django_capture_on_commit_callbacks(execute=True):
        FakeStripe.deliver(client, fake_stripe.events[-1])
    # During the outage: two enrolled learners' payments are refunded and lost in a dispute,
    # and a new payment comes in.
    for user in (refunded, disputed):
        hold = pay_without_webhook(client_for, user, cohort, fake_stripe)
        services.fulfil_from_success_page(hold=hold)
    refund = fake_stripe.refund_in_dashboard(
        Enrollment.objects.get(user=refunded).stripe_payment_intent
    )
    lost = fake_stripe.dispute(Enrollment.objects.get(user=disputed).stripe_payment_intent, "lost")
    new_hold = pay_without_webhook(client_for, paid, cohort, fake_stripe)

    result = run_reconcile(fake_stripe, "--since", "3d")

    assert result.returncode == 0, result.stderr
    assert Enrollment.objects.get(user=paid).grants_access
    assert Enrollment.objects.get(user=refunded).status == Enrollment.Status.REFUNDED
    assert Enrollment.objects.get(user=disputed).status == Enrollment.Status.CANCELLED
    assert Enrollment.objects.get(user=delivered).grants_access
    applied = StripeEvent.objects.filter(source=StripeEvent.Source.RECONCILIATION)
    assert {refund["id"], lost["id"]} <= set(applied.values_list("event_id", flat=True))
    charge, dispute = refund["data"]["object"]["id"], lost["data"]["object"]["id"]
    enrolment = Enrollment.objects.get(user=paid)
    assert result.stdout.splitlines() == [
        f"charge.refunded {charge}: Access ended (refunded)",
        f"charge.dispute.closed {dispute}: Access ended (dispute lost)",
        f"checkout.session.completed {new_hold.stripe_session_id}: Enrolled"
        f" (enrolment #{enrolment.pk})",
        result.stdout.splitlines()[-1],
    ]
    assert result.stdout.splitlines()[-1].endswith(": 3 applied.")

    again = run_reconcile(fake_stripe, "--since", "3d")

    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [again.stdout.splitlines()[-1]]
    assert ": 0 applied." in again.stdout


def test_stripe_reconcile_refuses_a_since_it_cannot_read(fake_stripe):
    result = run_reconcile(fake_stripe, "--since", "yesterday")

    assert result.returncode != 0
    assert "--since takes a number and m, h or d" in result.stderr


def test_reconciliation_is_daily_on_the_beat_schedule():
    from config.celery import app

    entries = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert "courses.tasks.reconcile_stripe" in entries


def test_admin_webhook_event_list_shows_and_filters_what_reconciliation_applied(client_for, staff):
    StripeEvent.objects.create(event_id="evt_hook", type="charge.refunded", outcome="ignored")
    StripeEvent.objects.create(
        event_id="evt_asked",
        type="checkout.session.completed",
        outcome="enrolled",
        source=StripeEvent.Source.RECONCILIATION,
    )
    url = reverse("admin:courses_stripeevent_changelist")

    everything = client_for(staff).get(url).content.decode()
    reconciled = client_for(staff).get(url, {"source__exact": "reconciliation"}).content.decode()

    assert "Reconciliation (asked Stripe)" in everything and "evt_hook" in everything
    assert "evt_asked" in reconciled and "evt_hook" not in reconciled
