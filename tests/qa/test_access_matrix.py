"""Every URL that takes a question id, for every persona: only the asker, the instructor and
staff given the Q&A permission get the page; everyone else signed in gets 404, visitors are
sent to sign in. The canary in the question never appears in a refusal."""

import pytest
from django.urls import reverse

from tests import factories
from tests.qa.conftest import CANARY

pytestmark = pytest.mark.django_db

ALLOWED = ["learner", "instructor", "permitted_staff"]
REFUSED = ["other_learner", "outsider", "staff", "classmate"]


@pytest.fixture
def classmate(cohort):
    user = factories.make_user("classmate@example.com")
    factories.enrol(user, cohort)
    return user


def question_urls(question):
    """(method, url, data) for every site URL that takes a question id."""
    url = reverse("qa:question", kwargs={"pk": question.pk})
    return [("get", url, None), ("post", url, {"text": "A follow-up without identifiers."})]


def admin_urls(question):
    """(method, url) for every admin URL that takes a question id."""
    return [
        ("get", reverse("admin:qa_question_change", args=[question.pk])),
        ("post", reverse("admin:qa_question_change", args=[question.pk])),
        ("get", reverse("admin:qa_question_history", args=[question.pk])),
        ("get", reverse("admin:qa_question_delete", args=[question.pk])),
        ("post", reverse("admin:qa_question_delete", args=[question.pk])),
        ("post", reverse("admin:qa_question_start_library_entry", args=[question.pk])),
    ]


@pytest.mark.parametrize("persona", ALLOWED)
def test_asker_instructor_and_permitted_staff_open_the_question(
    request, client_for, question, persona
):
    c = client_for(request.getfixturevalue(persona))
    response = c.get(reverse("qa:question", kwargs={"pk": question.pk}))

    assert response.status_code == 200
    assert CANARY in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ALLOWED)
def test_asker_instructor_and_permitted_staff_may_reply(request, client_for, question, persona):
    c = client_for(request.getfixturevalue(persona))
    response = c.post(reverse("qa:question", kwargs={"pk": question.pk}), {"text": "A follow-up."})

    assert response.status_code == 302
    assert question.replies.count() == 1


@pytest.mark.parametrize("persona", REFUSED)
def test_everyone_else_signed_in_gets_404_on_every_question_url(
    request, client_for, question, persona
):
    c = client_for(request.getfixturevalue(persona))
    for method, url, data in question_urls(question):
        response = getattr(c, method)(url, data) if data else getattr(c, method)(url)
        assert response.status_code == 404, (persona, method, url)
        assert CANARY not in response.content.decode()
    assert question.replies.count() == 0


def test_visitor_is_sent_to_sign_in_on_every_question_url(client, question):
    for method, url, data in question_urls(question):
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert CANARY not in response.content.decode()


def test_a_missing_question_id_is_404_even_for_the_instructor(client_for, instructor):
    response = client_for(instructor).get(reverse("qa:question", kwargs={"pk": 999999}))

    assert response.status_code == 404


def test_a_huge_question_id_is_404_not_an_error(client_for, learner):
    response = client_for(learner).get("/questions/99999999999999999999999/")

    assert response.status_code == 404


def test_refunded_asker_still_reads_but_cannot_reply(client_for, learner, question):
    learner.enrollments.update(status="refunded")
    c = client_for(learner)
    url = reverse("qa:question", kwargs={"pk": question.pk})

    assert c.get(url).status_code == 200
    assert c.post(url, {"text": "More?"}).status_code == 404
    assert question.replies.count() == 0


def test_staff_without_the_permission_get_404_on_every_admin_url_of_a_question(
    client_for, staff, question
):
    c = client_for(staff)
    for method, url in admin_urls(question):
        response = getattr(c, method)(url)
        assert response.status_code == 404, (method, url)
        assert CANARY not in response.content.decode()
    question.refresh_from_db()
    assert question.library_entry is None


@pytest.mark.parametrize("persona", ["learner", "other_learner", "outsider"])
def test_people_who_are_not_staff_are_sent_to_the_admin_sign_in(
    request, client_for, question, persona
):
    c = client_for(request.getfixturevalue(persona))
    for method, url in admin_urls(question):
        response = getattr(c, method)(url)
        assert response.status_code == 302, (persona, method, url)
        assert response["Location"].startswith(reverse("admin:login"))
        assert CANARY not in response.content.decode()
    assert question.__class__.objects.filter(pk=question.pk).exists()


@pytest.mark.parametrize("persona", ["instructor", "permitted_staff"])
def test_admin_change_page_shows_the_question_to_permitted_users(
    request, client_for, question, persona
):
    response = client_for(request.getfixturevalue(persona)).get(
        reverse("admin:qa_question_change", args=[question.pk])
    )

    assert response.status_code == 200
    assert CANARY in response.content.decode()
