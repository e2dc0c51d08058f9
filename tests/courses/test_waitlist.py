"""The public waitlist form and the order in which seats are offered."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from courses import services
from courses.models import Cohort, Offer, WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def form(**fields):
    return {"name": "Wes Waiting", "email": "wes@example.com", "message": "", **fields}


def test_visitor_joins_the_waitlist_for_the_next_run_and_gets_a_confirmation(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("courses:waitlist", args=[course.slug])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form(message="Evenings suit me best."))

    assert response.status_code == 302
    assert response["Location"] == reverse("courses:waitlist_thanks", args=[course.slug])
    entry = WaitlistEntry.objects.get()
    assert (entry.course, entry.cohort, entry.email) == (course, None, "wes@example.com")
    [mail] = mailoutbox
    assert mail.to == ["wes@example.com"]
    assert "waitlist" in mail.subject
    assert "Evenings" not in mail.body  # the person's message is never echoed by email


def test_visitor_joins_the_waitlist_of_a_full_cohort(client, course):
    full = factories.make_cohort(course, seat_cap=0)

    client.post(reverse("courses:waitlist", args=[course.slug, full.slug]), form())

    assert WaitlistEntry.objects.get().cohort == full


def test_joining_twice_keeps_one_entry_and_sends_one_email(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("courses:waitlist", args=[course.slug])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, form())
        second = client.post(url, form(email="WES@example.com"))

    assert second.status_code == 302  # the same thanks page: no hint who is on the list
    assert WaitlistEntry.objects.count() == 1
    assert len(mailoutbox) == 1


def test_invalid_form_shows_errors_next_to_fields(client, course):
    response = client.post(reverse("courses:waitlist", args=[course.slug]), form(email="nope"))

    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_waitlist_form_is_rate_limited(client, course):
    url = reverse("courses:waitlist", args=[course.slug])
    for n in range(5):
        client.post(url, form(email=f"p{n}@example.com"))

    response = client.post(url, form(email="sixth@example.com"))

    assert response.status_code == 200
    assert "Too many requests" in response.content.decode()
    assert WaitlistEntry.objects.count() == 5


def test_unknown_course_or_draft_cohort_is_404(client, course):
    draft = factories.make_cohort(course, status=Cohort.Status.DRAFT)

    assert client.get(reverse("courses:waitlist", args=["nope"])).status_code == 404
    assert (
        client.get(reverse("courses:waitlist", args=[course.slug, draft.slug])).status_code == 404
    )
    assert (
        client.post(reverse("courses:waitlist", args=[course.slug, "nope"]), form()).status_code
        == 404
    )


def test_signed_in_person_gets_the_form_prefilled(client_for, outsider, course):
    page = (
        client_for(outsider).get(reverse("courses:waitlist", args=[course.slug])).content.decode()
    )

    assert 'value="outsider@example.com"' in page


def test_seats_are_offered_in_waitlist_order(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    cohort = factories.make_cohort(course, seat_cap=2, status=Cohort.Status.DRAFT)
    for name in ["first", "second", "third"]:
        services.join_waitlist(course=course, cohort=None, name=name, email=f"{name}@example.com")
    cohort.status = Cohort.Status.OPEN
    cohort.save()

    with django_capture_on_commit_callbacks(execute=True):
        offers = services.offer_free_seats(cohort_id=cohort.pk)

    assert [o.email for o in offers] == ["first@example.com", "second@example.com"]
    assert (
        WaitlistEntry.objects.get(email="third@example.com").status == WaitlistEntry.Status.WAITING
    )
    assert cohort.seats_free == 0  # both seats are held by the offers
    offer_mails = [m for m in mailoutbox if "seat is waiting" in m.subject]
    assert {m.to[0] for m in offer_mails} == {"first@example.com", "second@example.com"}
    assert (
        Offer.objects.get(email="first@example.com").token
        in offer_mails[0].body + offer_mails[1].body
    )


def test_staff_reordering_changes_who_is_offered_first(course):
    cohort = factories.make_cohort(course, seat_cap=1, status=Cohort.Status.DRAFT)
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    services.join_waitlist(course=course, cohort=None, name="b", email="b@example.com")
    WaitlistEntry.objects.filter(email="b@example.com").update(position=0)
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.OPEN)

    [offer] = services.offer_free_seats(cohort_id=cohort.pk)

    assert offer.email == "b@example.com"


def test_no_offers_for_a_cohort_that_is_not_open(course):
    draft = factories.make_cohort(course, status=Cohort.Status.DRAFT)
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")

    assert services.offer_free_seats(cohort_id=draft.pk) == []


def test_someone_already_enrolled_is_skipped(course, outsider):
    cohort = factories.make_cohort(course, seat_cap=3)
    factories.enrol(outsider, cohort)
    services.join_waitlist(course=course, cohort=None, name="o", email=outsider.email)

    assert services.offer_free_seats(cohort_id=cohort.pk) == []
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.ENROLLED


def cohort_form_data(c, cohort, **changes) -> dict:
    page = c.get(reverse("admin:courses_cohort_change", args=[cohort.pk]))
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    data.update(
        course=cohort.course_id,
        status=cohort.status,
        starts_on=cohort.starts_on.isoformat(),
        ends_on=cohort.ends_on.isoformat(),
        enrolment_opens_at_0=cohort.enrolment_opens_at.date().isoformat(),
        enrolment_opens_at_1="00:00:00",
        enrolment_closes_at_0=cohort.enrolment_closes_at.date().isoformat(),
        enrolment_closes_at_1="00:00:00",
    )
    data.pop("enrolment_opens_at", None)
    data.pop("enrolment_closes_at", None)
    data.update(changes)
    return data


def test_staff_opening_a_cohort_in_the_admin_sends_offers(
    client_for, staff, course, django_capture_on_commit_callbacks
):
    cohort = factories.make_cohort(course, seat_cap=5, status=Cohort.Status.DRAFT)
    services.join_waitlist(course=course, cohort=None, name="a", email="a@example.com")
    c = client_for(staff)
    data = cohort_form_data(c, cohort, status=Cohort.Status.OPEN)

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("admin:courses_cohort_change", args=[cohort.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Offer.objects.get().email == "a@example.com"


def test_staff_adding_seats_to_a_full_run_sends_offers(
    client_for, staff, course, django_capture_on_commit_callbacks
):
    cohort = factories.make_cohort(course, seat_cap=1)
    factories.enrol(factories.make_user(), cohort)
    services.join_waitlist(course=course, cohort=cohort, name="a", email="a@example.com")
    services.join_waitlist(course=course, cohort=cohort, name="b", email="b@example.com")
    assert not Offer.objects.exists()
    c = client_for(staff)
    data = cohort_form_data(c, cohort, seat_cap=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("admin:courses_cohort_change", args=[cohort.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Offer.objects.get().email == "a@example.com"
