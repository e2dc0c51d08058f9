"""The home page: the program, its trimesters and lessons, FAQ, testimonials and calls to action."""

import pytest
from django.urls import reverse

from accounts import roles
from courses import models as courses_models
from courses.models import FaqItem
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(course, other_course, cohort):
    factories.make_lesson(course, title="Psychopathology", order=1)
    factories.make_lesson(other_course, title="Initial session", order=1)
    FaqItem.objects.create(question="Can I study at my own pace?", answer="<p>Yes.</p>")
    FaqItem.objects.create(question="Hidden question", answer="<p>No.</p>", published=False)
    courses_models.Testimonial.objects.create(
        quote="It changed my sessions.", name="R. M.", role="LMHC"
    )


def test_visitor_sees_the_program(client, program, cohort):
    response = client.get(reverse("home"))

    page = response.content.decode()
    assert response.status_code == 200
    for text in [
        "How Therapy Works",
        "What Therapists Do",
        "Psychopathology",
        "Initial session",
        "A book chapter",
        "A video introduction",
        "A podcast episode",
        "Friday groups",
        "Learner Exchange Forum",
        "Can I study at my own pace?",
        "It changed my sessions.",
        cohort.name,  # an open run to enrol in
        "Join the waitlist",  # the second course has no open run
    ]:
        assert text in page, text
    assert "Hidden question" not in page


def test_faq_answer_is_sanitized(client, program):
    FaqItem.objects.update(
        answer='<p>Yes<script>alert(1)</script><a href="javascript:x()">a</a></p>'
    )
    page = client.get(reverse("home")).content.decode()
    assert "alert(1)" not in page and "javascript:" not in page


def test_instructor_bio_is_shown(client, program):
    factories.make_user(
        display_name="Dr. Avery Lane",
        credentials="PhD",
        role=roles.INSTRUCTOR,
        bio="Taught for years.",
    )
    page = client.get(reverse("home")).content.decode()
    assert "Dr. Avery Lane, PhD" in page
    assert "Taught for years." in page


def test_home_page_queries_are_the_same_with_3_and_30(
    client, course, cohort, django_assert_max_num_queries, django_assert_num_queries
):
    for i in range(3):
        factories.make_lesson(course, order=i)
        FaqItem.objects.create(question=f"Q{i}", answer="<p>A</p>")
    with django_assert_max_num_queries(12) as small:
        assert client.get(reverse("home")).status_code == 200
    for i in range(27):
        factories.make_lesson(course, order=10 + i)
        FaqItem.objects.create(question=f"More {i}", answer="<p>A</p>")
        courses_models.Testimonial.objects.create(quote="Q", name=f"N{i}")
        factories.enrol(factories.make_user(), cohort)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(reverse("home")).status_code == 200


def test_full_runs_offer_their_waitlist_without_a_query_each(
    client, course, other_course, django_assert_max_num_queries, django_assert_num_queries
):
    """The open runs are read in one query and attached to their courses (`cohort.course`
    included): a full run's waitlist link needs no query of its own."""
    full = factories.make_cohort(course, seat_cap=0)
    with django_assert_max_num_queries(12) as one_full:
        page = client.get(reverse("home")).content.decode()
    waitlist = reverse("courses:waitlist", args=[course.slug, full.slug])
    assert f'href="{waitlist}"' in page and f"{full.name} is full" in page

    factories.make_cohort(other_course, seat_cap=0)
    with django_assert_num_queries(len(one_full.captured_queries)):
        assert client.get(reverse("home")).status_code == 200
