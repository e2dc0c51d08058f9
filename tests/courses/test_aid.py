"""“What if I can't afford to join?”: the request form and staff granting a place."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from courses.models import Enrollment, FinancialAidRequest, Offer, SeatHold
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def form(**fields):
    return {
        "name": "Ada Aid",
        "email": "ada@example.com",
        "can_pay": "about $300",
        "message": "I am a trainee on a stipend; my situation is private.",
        **fields,
    }


@pytest.fixture
def aid(course):
    return FinancialAidRequest.objects.create(
        course=course, name="Ada Aid", email="ada@example.com", message="private"
    )


@pytest.fixture
def ada(db):
    return factories.make_user("ada@example.com", display_name="Ada Aid")


def grant(client, aid, action):
    return client.post(
        reverse("admin:courses_financialaidrequest_changelist"),
        {"action": action, "_selected_action": [aid.pk]},
        follow=True,
    )


def test_visitor_asks_for_aid_and_gets_a_confirmation_without_their_text(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("courses:aid_request", args=[course.slug])
    assert "can’t afford" in client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form())

    assert response["Location"] == reverse("courses:aid_thanks", args=[course.slug])
    aid = FinancialAidRequest.objects.get()
    assert (aid.email, aid.status) == ("ada@example.com", FinancialAidRequest.Status.NEW)
    [mail] = mailoutbox
    assert mail.to == ["ada@example.com"]
    assert "stipend" not in mail.body and "stipend" not in mail.alternatives[0][0]


def test_aid_form_needs_a_message_and_is_rate_limited(client, course):
    url = reverse("courses:aid_request", args=[course.slug])
    assert "This field is required" in client.post(url, form(message="")).content.decode()
    for n in range(5):
        client.post(url, form(email=f"p{n}@example.com"))

    assert "Too many requests" in client.post(url, form()).content.decode()
    assert FinancialAidRequest.objects.count() == 5


def test_aid_page_of_unknown_course_is_404(client):
    assert client.get(reverse("courses:aid_request", args=["nope"])).status_code == 404


def test_staff_grant_a_free_place_and_the_person_accepts_it(
    client_for, staff, ada, aid, cohort, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        grant(client_for(staff), aid, "grant_free_place")

    offer = Offer.objects.get()
    assert (offer.price_cents, offer.aid_request, offer.cohort) == (0, aid, cohort)
    [mail] = [m for m in mailoutbox if m.to == ["ada@example.com"]]
    assert offer.token in mail.body and "free of charge" in mail.body
    c = client_for(ada)
    assert "Accept my free place" in c.get(offer.get_absolute_url()).content.decode()

    response = c.post(offer.get_absolute_url())

    assert response["Location"] == reverse("courses:enrolled", args=[cohort.pk])
    enrollment = Enrollment.objects.get(user=ada)
    assert (enrollment.status, enrollment.source) == (
        Enrollment.Status.COMPED,
        Enrollment.Source.OFFER,
    )
    assert Offer.objects.get().status == Offer.Status.ACCEPTED


def test_staff_grant_a_reduced_price_which_goes_to_checkout_at_that_price(
    client_for, staff, ada, aid, cohort, fake_stripe
):
    aid.granted_price_cents = 30000
    aid.save()
    grant(client_for(staff), aid, "grant_offer")
    offer = Offer.objects.get()

    client_for(ada).post(offer.get_absolute_url())

    hold = SeatHold.objects.get(user=ada)
    assert hold.amount_cents == 30000
    assert fake_stripe.sessions[hold.stripe_session_id]["amount_total"] == 30000
    assert aid.__class__.objects.get().status == FinancialAidRequest.Status.GRANTED


def test_granting_without_a_price_explains_what_to_do(client_for, staff, aid, cohort):
    response = grant(client_for(staff), aid, "grant_offer")

    assert "Set a granted price" in response.content.decode()
    assert not Offer.objects.exists()


def test_granting_twice_sends_one_offer(client_for, staff, aid, cohort):
    grant(client_for(staff), aid, "grant_free_place")
    response = grant(client_for(staff), aid, "grant_free_place")

    assert "already granted" in response.content.decode()
    assert Offer.objects.count() == 1


def test_instructor_may_view_aid_requests_but_not_grant(client_for, instructor, aid, cohort):
    c = client_for(instructor)
    assert c.get(reverse("admin:courses_financialaidrequest_changelist")).status_code == 200

    grant(c, aid, "grant_free_place")

    assert not Offer.objects.exists()
