"""The site search's lessons section (lessons/search.py): the lessons a person may open, with
highlighted snippets. The old lesson search (/lessons/search/) leads there."""

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db
SEARCH = reverse("search")


@pytest.fixture
def lessons(course, other_course):
    return {
        "shame": factories.make_lesson(
            course,
            title="Shame and guilt",
            chapter="<p>Shame hides behind anger. Guilt asks for repair.</p>",
        ),
        "grief": factories.make_lesson(
            course, title="Grief", chapter="<p>Grief is love with nowhere to go.</p>"
        ),
        "other": factories.make_lesson(
            other_course,
            title="Formulation",
            chapter="<p>A formulation of shame in the other course.</p>",
        ),
    }


def test_learner_finds_a_lesson_with_a_highlighted_snippet(client_for, learner, lessons):
    response = client_for(learner).get(SEARCH, {"q": "shame", "kind": "lessons"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Shame and guilt" in page
    assert "<mark>Shame</mark>" in page
    assert "Grief" not in page


def test_results_leave_out_lessons_of_other_courses(client_for, learner, lessons):
    page = client_for(learner).get(SEARCH, {"q": "shame", "kind": "lessons"}).content.decode()
    assert "Formulation" not in page


def test_staff_search_every_course(client_for, staff, lessons):
    page = client_for(staff).get(SEARCH, {"q": "shame", "kind": "lessons"}).content.decode()
    assert "Formulation" in page
    assert "Shame and guilt" in page


def test_outsider_finds_only_free_previews(client_for, outsider, lessons, course):
    factories.make_lesson(
        course, title="Preview", chapter="<p>Shame, openly.</p>", free_preview=True
    )

    page = client_for(outsider).get(SEARCH, {"q": "shame", "kind": "lessons"}).content.decode()

    assert "Preview" in page
    assert "Shame and guilt" not in page


def test_snippet_cannot_inject_markup(client_for, learner, course):
    factories.make_lesson(
        course, title="Tags", chapter="<p>shame &lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )

    page = client_for(learner).get(SEARCH, {"q": "shame", "kind": "lessons"}).content.decode()

    assert "<script>alert(1)" not in page
    assert "<mark>shame</mark>" in page


def test_empty_and_odd_queries_do_not_fail(client_for, learner, lessons):
    c = client_for(learner)
    for q in ["", "   ", "'", '"unclosed', "a & | ! :* <>", "x" * 5000]:
        assert c.get(SEARCH, {"q": q, "kind": "lessons"}).status_code == 200
    assert c.get(SEARCH, {"q": "\x00", "kind": "lessons"}).status_code == 400  # lib/wellformed.py


def test_no_match_shows_an_empty_state(client_for, learner, lessons):
    page = client_for(learner).get(SEARCH, {"q": "zebra", "kind": "lessons"}).content.decode()
    assert "Nothing in Lessons matches “zebra”" in page


def test_the_old_lesson_search_leads_to_the_sites_search(client_for, learner, lessons):
    old = client_for(learner).get(reverse("lessons:search"), {"q": "shame"})
    assert old.status_code == 301
    assert old["Location"] == f"{SEARCH}?q=shame&kind=lessons"


def test_visitor_is_sent_to_sign_in(client):
    assert client.get(SEARCH, {"q": "shame", "kind": "lessons"}).status_code == 302


def test_search_queries_do_not_grow(
    client_for, learner, course, django_assert_max_num_queries, django_assert_num_queries
):
    for i in range(3):
        factories.make_lesson(course, chapter=f"<p>shame number {i}</p>")
    c = client_for(learner)
    with django_assert_max_num_queries(12) as small:
        assert c.get(SEARCH, {"q": "shame", "kind": "lessons"}).status_code == 200
    for i in range(27):
        factories.make_lesson(course, chapter=f"<p>shame again {i}</p>")
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(SEARCH, {"q": "shame", "kind": "lessons"}).status_code == 200


@pytest.mark.postgres
def test_postgres_full_text_search_ranks_stems_and_highlights(client_for, learner, course):
    factories.make_lesson(course, title="Avoidance", chapter="<p>Clients avoid feelings.</p>")
    factories.make_lesson(
        course, title="Other", chapter="<p>Something else; avoiding appears once.</p>"
    )

    page = client_for(learner).get(SEARCH, {"q": "avoiding", "kind": "lessons"}).content.decode()

    # Stemming: "avoiding" finds "avoid" and "Avoidance"; the title match ranks first.
    assert page.index("Avoidance") < page.index(">Other<")
    assert "<mark>avoid</mark>" in page


@pytest.mark.postgres
def test_postgres_stores_the_search_vector(course):
    from lessons.models import Lesson

    lesson = factories.make_lesson(course, title="Grief and depression")
    assert Lesson.objects.filter(pk=lesson.pk, search_vector="grief").exists()
