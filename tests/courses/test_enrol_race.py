"""The race for the last seats, with real threads against PostgreSQL: never over the cap."""

import pytest

from courses import services
from courses.models import Enrollment, Offer, SeatHold, WaitlistEntry
from tests import factories
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_checkouts_for_the_last_seats_never_exceed_the_cap():
    cohort = factories.make_cohort(seat_cap=5)
    for _ in range(3):
        factories.enrol(factories.make_user(), cohort)
    people = [factories.make_user() for _ in range(8)]

    results = run_together(
        [lambda u=u: services.reserve_seat(cohort_id=cohort.pk, user=u) for u in people]
    )

    holds = [r for r in results if isinstance(r, SeatHold)]
    refused = [r for r in results if isinstance(r, services.SeatUnavailable)]
    assert len(holds) == 2
    assert len(refused) == 6
    assert cohort.seats_free == 0


def test_concurrent_staff_enrolments_never_exceed_the_cap():
    cohort = factories.make_cohort(seat_cap=2)
    people = [factories.make_user() for _ in range(6)]

    results = run_together(
        [lambda u=u: services.enrol_by_staff(cohort_id=cohort.pk, user=u) for u in people]
    )

    assert sum(isinstance(r, Enrollment) for r in results) == 2
    assert Enrollment.objects.filter(cohort=cohort).granting_access().count() == 2


def test_two_late_payments_for_the_last_seat_enrol_one_and_refund_the_other(settings):
    cohort = factories.make_cohort(seat_cap=1)
    holds = []
    for n in range(2):
        user = factories.make_user()
        # Lapsed holds: both payments arrive after their 30 minutes.
        holds.append(
            SeatHold.objects.create(
                cohort=cohort,
                user=user,
                expires_at=cohort.created_at,
                amount_cents=100,
                stripe_session_id=f"cs_race_{n}",
            )
        )
    sessions = [
        {"id": h.stripe_session_id, "payment_status": "paid", "payment_intent": f"pi_{h.pk}"}
        for h in holds
    ]

    results = run_together([lambda s=s: services.fulfil_checkout(session=s) for s in sessions])

    outcomes = sorted(r.outcome for r in results)
    assert outcomes == ["enrolled", "refunded_late"]
    assert Enrollment.objects.filter(cohort=cohort).granting_access().count() == 1


def test_people_joining_the_waitlist_at_the_same_moment_get_distinct_positions():
    course = factories.make_course()
    people = [f"joiner{n}@example.com" for n in range(8)]

    results = run_together(
        [
            lambda e=e: services.join_waitlist(course=course, cohort=None, name="j", email=e)
            for e in people
        ]
    )

    assert results == [True] * len(people)
    positions = list(WaitlistEntry.objects.values_list("position", flat=True))
    assert sorted(positions) == list(range(1, len(people) + 1))


def test_two_runs_offering_seats_at_once_never_make_one_person_two_offers():
    course = factories.make_course()
    first, second = (factories.make_cohort(course, seat_cap=1) for _ in range(2))
    # Wes waits for the first run and for the next run (from which both runs offer seats).
    services.join_waitlist(course=course, cohort=first, name="wes", email="wes@example.com")
    services.join_waitlist(course=course, cohort=None, name="wes", email="wes@example.com")
    services.join_waitlist(course=course, cohort=None, name="next", email="next@example.com")

    run_together([lambda c=c: services.offer_free_seats(cohort_id=c.pk) for c in (first, second)])

    live = Offer.objects.filter(status=Offer.Status.PENDING)
    assert sorted(live.values_list("email", flat=True)) == ["next@example.com", "wes@example.com"]
