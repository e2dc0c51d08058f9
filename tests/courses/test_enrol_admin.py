"""The staff side: seats at a glance, enrol by hand, cancel, refund, export, webhook events."""

import pytest
from django.urls import reverse

from courses import services
from courses.models import Cohort, Enrollment, Offer, Payment, StripeEvent, WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db


def action(client, model, name, ids, **extra):
    return client.post(
        reverse(f"admin:courses_{model}_changelist"),
        {"action": name, "_selected_action": ids, **extra},
        follow=True,
    )


def test_cohort_list_shows_taken_held_free_and_waitlist(client_for, staff, learner, cohort, course):
    services.reserve_seat(cohort_id=cohort.pk, user=factories.make_user())
    services.join_waitlist(course=course, cohort=None, name="w", email="w@example.com")

    response = client_for(staff).get(reverse("admin:courses_cohort_changelist"))

    row = next(r for r in response.context["cl"].result_list if r.pk == cohort.pk)
    assert (row.seats_taken, row.seats_held, row.waitlist_length) == (1, 1, 1)
    assert '<td class="field-free">18</td>' in response.content.decode()


def test_cohort_list_queries_do_not_grow_with_cohorts(
    client_for, staff, course, django_assert_max_num_queries
):
    c = client_for(staff)
    factories.make_cohort(course)
    with django_assert_max_num_queries(12) as small:
        c.get(reverse("admin:courses_cohort_changelist"))
    for _ in range(8):
        cohort = factories.make_cohort(course)
        factories.enrol(factories.make_user(), cohort)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(reverse("admin:courses_cohort_changelist")).status_code == 200


def test_enrolment_list_queries_do_not_grow(
    client_for, staff, cohort, django_assert_max_num_queries
):
    c = client_for(staff)
    factories.enrol(factories.make_user(), cohort)
    with django_assert_max_num_queries(12) as small:
        c.get(reverse("admin:courses_enrollment_changelist"))
    for _ in range(10):
        factories.enrol(factories.make_user(), factories.make_cohort())
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = c.get(reverse("admin:courses_enrollment_changelist"), {"q": "example.com"})
    assert response.status_code == 200


def test_staff_enrol_a_person_by_hand(
    client_for, staff, outsider, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    c = client_for(staff)
    add = reverse("admin:courses_enrollment_add")
    assert c.get(add, {"cohort": cohort.pk}).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(
            add,
            {"user": outsider.pk, "cohort": cohort.pk, "status": "comped", "amount_paid_cents": 0},
        )

    assert response.status_code == 302
    enrollment = Enrollment.objects.get(user=outsider)
    assert (enrollment.status, enrollment.source) == ("comped", Enrollment.Source.STAFF)
    assert [m.to for m in mailoutbox] == [[outsider.email]]


def test_enrol_by_hand_refuses_a_full_cohort(client_for, staff, outsider, course):
    full = factories.make_cohort(course, seat_cap=0)

    response = client_for(staff).post(
        reverse("admin:courses_enrollment_add"),
        {"user": outsider.pk, "cohort": full.pk, "status": "active", "amount_paid_cents": 0},
    )

    assert response.status_code == 200
    assert "is full" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_enrol_by_hand_when_the_last_seat_goes_meanwhile_says_so_and_keeps_the_form(
    client_for, staff, outsider, course, monkeypatch
):
    full = factories.make_cohort(course, seat_cap=0)
    # The form saw a free seat; by the time the run is locked to take it, there is none.
    monkeypatch.setattr(Cohort, "seats_free", property(lambda cohort: 1))
    add = reverse("admin:courses_enrollment_add")
    data = {"user": outsider.pk, "cohort": full.pk, "status": "comped", "amount_paid_cents": 0}

    response = client_for(staff).post(add, data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(add + "?")
    html = response.content.decode()
    assert "is full. Raise its seat cap first." in html
    assert f'<option value="{outsider.pk}" selected>' in html
    assert f'<option value="{full.pk}" selected>' in html
    assert not Enrollment.objects.exists()


def test_cancel_action_ends_access_at_once(client_for, staff, learner, cohort):
    enrollment = Enrollment.objects.get(user=learner)

    action(client_for(staff), "enrollment", "cancel_enrolments", [enrollment.pk])

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CANCELLED
    assert not Enrollment.objects.for_user(learner).granting_access().exists()


def test_deleting_an_enrolment_offers_its_seat_to_the_waitlist(
    client_for, staff, course, django_capture_on_commit_callbacks
):
    full = factories.make_cohort(course, seat_cap=1)
    enrollment = factories.enrol(factories.make_user(), full)
    services.join_waitlist(course=course, cohort=full, name="w", email="w@example.com")
    c = client_for(staff)

    with django_capture_on_commit_callbacks(execute=True):
        action(c, "enrollment", "delete_selected", [enrollment.pk], post="yes")

    assert not Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert Offer.objects.get().email == "w@example.com"


def test_deleting_one_enrolment_from_its_page_offers_its_seat(
    client_for, staff, course, django_capture_on_commit_callbacks
):
    full = factories.make_cohort(course, seat_cap=1)
    enrollment = factories.enrol(factories.make_user(), full)
    services.join_waitlist(course=course, cohort=full, name="w", email="w@example.com")
    url = reverse("admin:courses_enrollment_delete", args=[enrollment.pk])

    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(url, {"post": "yes"})

    assert not Enrollment.objects.filter(pk=enrollment.pk).exists()
    assert Offer.objects.get().email == "w@example.com"


def test_refund_action_refunds_through_stripe_and_ends_access(
    client_for, staff, learner, cohort, fake_stripe
):
    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_paid")

    response = action(client_for(staff), "enrollment", "refund_enrolments", [enrollment.pk])

    assert "refunded" in response.content.decode()
    [refund] = fake_stripe.refunds
    assert refund["payment_intent"] == "pi_paid"
    assert fake_stripe.requests[-1][3] == "refund-pi_paid"  # the idempotency key
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.REFUNDED


def test_refunding_a_re_enrolment_refunds_the_new_payment_too(
    client_for, staff, learner, cohort, fake_stripe
):
    enrollment = Enrollment.objects.get(user=learner)
    Enrollment.objects.filter(pk=enrollment.pk).update(stripe_payment_intent="pi_first")
    action(client_for(staff), "enrollment", "refund_enrolments", [enrollment.pk])
    # The same person pays again for the same run: the Enrollment row is reused.
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.ACTIVE, stripe_payment_intent="pi_second", ended_at=None
    )

    action(client_for(staff), "enrollment", "refund_enrolments", [enrollment.pk])

    assert [r["payment_intent"] for r in fake_stripe.refunds] == ["pi_first", "pi_second"]
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.REFUNDED


def test_refund_action_explains_when_not_paid_online(client_for, staff, learner, fake_stripe):
    enrollment = Enrollment.objects.get(user=learner)

    response = action(client_for(staff), "enrollment", "refund_enrolments", [enrollment.pk])

    assert "was not paid online" in response.content.decode()
    assert Enrollment.objects.get(pk=enrollment.pk).grants_access
    assert not fake_stripe.refunds


def test_export_csv(client_for, staff, learner, cohort):
    response = action(client_for(staff), "enrollment", "export_csv", [learner.enrollments.get().pk])

    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("email,name,course")
    assert lines[1].startswith(
        "learner@example.com,Lee Learner,How Therapy Works,Spring 2027,active"
    )


def test_webhook_events_are_listed_with_their_outcome(client_for, staff):
    StripeEvent.objects.create(
        event_id="evt_1", type="checkout.session.completed", outcome=StripeEvent.Outcome.ENROLLED
    )

    response = client_for(staff).get(reverse("admin:courses_stripeevent_changelist"))

    assert "evt_1" in response.content.decode()
    assert "Enrolled" in response.content.decode()


def test_waitlist_admin_offers_out_of_turn_and_removes(client_for, staff, course, cohort):
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    services.join_waitlist(course=course, cohort=None, name="b", email="b@example.com")
    a, b = WaitlistEntry.objects.order_by("email")
    c = client_for(staff)

    action(c, "waitlistentry", "offer_seat_now", [b.pk])
    action(c, "waitlistentry", "remove_entries", [a.pk, b.pk])

    offer = Offer.objects.get()
    assert offer.email == "b@example.com" and offer.status == Offer.Status.WITHDRAWN
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"removed"}


def test_instructor_views_but_cannot_change_enrolment(client_for, instructor, learner, cohort):
    c = client_for(instructor)
    assert c.get(reverse("admin:courses_cohort_changelist")).status_code == 200
    assert c.get(reverse("admin:courses_waitlistentry_changelist")).status_code == 200

    action(c, "enrollment", "cancel_enrolments", [learner.enrollments.get().pk])

    assert Enrollment.objects.get(user=learner).grants_access
    assert c.get(reverse("admin:courses_enrollment_add")).status_code == 403


def test_instructor_cannot_withdraw_an_offer(client_for, instructor, staff, course, cohort):
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    [offer] = services.offer_free_seats(cohort_id=cohort.pk)

    page = client_for(instructor).get(reverse("admin:courses_offer_changelist"))
    assert page.status_code == 200 and "a@example.com" in page.content.decode()
    assert 'value="withdraw"' not in page.content.decode()
    action(client_for(instructor), "offer", "withdraw", [offer.pk])
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.PENDING

    action(client_for(staff), "offer", "withdraw", [offer.pk])
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.WITHDRAWN


def test_every_enrolment_admin_page_opens(client_for, staff, learner, cohort, course):
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    services.offer_free_seats(cohort_id=cohort.pk)
    services.reserve_seat(cohort_id=cohort.pk, user=factories.make_user())
    c = client_for(staff)
    for model in [
        "cohort",
        "enrollment",
        "waitlistentry",
        "offer",
        "seathold",
        "stripeevent",
        "payment",
        "financialaidrequest",
    ]:
        assert c.get(reverse(f"admin:courses_{model}_changelist")).status_code == 200, model
    assert (
        c.get(reverse("admin:courses_offer_change", args=[Offer.objects.get().pk])).status_code
        == 200
    )
    assert (
        c.get(
            reverse("admin:courses_enrollment_change", args=[learner.enrollments.get().pk])
        ).status_code
        == 200
    )
    assert c.get(reverse("admin:courses_cohort_change", args=[cohort.pk])).status_code == 200
    assert Cohort.objects.with_seat_counts().get(pk=cohort.pk).seats_held == 2


def add_waitlist_rows(course, cohort, n: int, start: int) -> None:
    """n of each: waitlist entries with offers, seat holds, aid requests, Stripe events,
    payments."""
    for i in range(start, start + n):
        email = f"person{i}@example.com"
        services.join_waitlist(course=course, cohort=cohort, name=f"P{i}", email=email)
        services.request_aid(
            course=course, name=f"P{i}", email=email, can_pay="", message="…", user=None
        )
        hold = services.reserve_seat(cohort_id=cohort.pk, user=factories.make_user())
        StripeEvent.objects.create(event_id=f"evt_{i}", type="charge.refunded")
        Payment.objects.create(payment_intent=f"pi_{i}", hold=hold)
    services.offer_free_seats(cohort_id=cohort.pk)


@pytest.mark.parametrize(
    "model", ["waitlistentry", "offer", "seathold", "stripeevent", "payment", "financialaidrequest"]
)
def test_enrolment_admin_lists_queries_do_not_grow(
    client_for, staff, course, model, django_assert_max_num_queries
):
    cohort = factories.make_cohort(course, seat_cap=100)
    c = client_for(staff)
    url = reverse(f"admin:courses_{model}_changelist")
    add_waitlist_rows(course, cohort, 1, 0)
    with django_assert_max_num_queries(14) as small:
        assert c.get(url).status_code == 200
    add_waitlist_rows(course, cohort, 10, 1)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(url).status_code == 200


def test_run_labels_are_each_runs_name_in_order(cohort, other_cohort, course):
    later = factories.make_cohort(course, name="Autumn 2027", slug="autumn-2027")

    assert Cohort.objects.labels() == [(c.pk, str(c)) for c in Cohort.objects.all()]
    assert (later.pk, "How Therapy Works — Autumn 2027") in Cohort.objects.labels()


@pytest.mark.parametrize(
    "changelist, parameter",
    [
        ("admin:courses_enrollment_changelist", "run"),
        ("admin:courses_waitlistentry_changelist", "run"),
        ("admin:zoomgroups_groupsession_changelist", "cohort__id__exact"),
    ],
)
def test_run_filters_list_every_run_by_name(
    client_for, staff, cohort, other_cohort, changelist, parameter
):
    page = client_for(staff).get(reverse(changelist)).content.decode()

    for run in (cohort, other_cohort):
        assert f"?{parameter}={run.pk}" in page
        assert str(run) in page
