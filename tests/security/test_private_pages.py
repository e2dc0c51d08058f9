"""Pages with private text send `Cache-Control: no-store`; error reports and logs never carry
what people typed."""

import logging

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from lib.errorreports import mailer
from tests.qa.conftest import CANARY, make_question

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_a_private_question_is_not_stored_by_caches(client_for, learner, instructor):
    question = make_question(learner, text=f"My client {CANARY}")
    for user in (learner, instructor):
        response = client_for(user).get(reverse("qa:question", args=[question.pk]))
        assert response.status_code == 200
        assert CANARY in response.content.decode()
        assert no_store(response)
        assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/",
        "/profile/",
        "/questions/",
        "/forum/",
        "/accounts/email/",
        "/accounts/2fa/",
        "/admin/",
    ],
)
def test_every_signed_in_page_is_not_stored(client_for, learner, staff, url):
    user = staff if url.startswith("/admin/") else learner
    response = client_for(user).get(url)
    assert response.status_code == 200, url
    assert no_store(response), (url, response.get("Cache-Control"))


def test_the_lesson_page_of_a_learner_is_not_stored(client_for, learner, course):
    from tests import factories

    lesson = factories.make_lesson(course)
    response = client_for(learner).get(lesson.get_absolute_url())
    assert response.status_code == 200
    assert no_store(response)


def test_public_pages_for_visitors_stay_cacheable(client):
    for url in ["/", "/privacy/", "/newsletter/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert not no_store(response), url


def test_a_newsletter_token_page_is_not_stored(client):
    from newsletter.models import Subscriber

    reader = Subscriber.objects.create(email="reader@example.com", status="confirmed")
    response = client.get(reverse("newsletter:unsubscribe", args=[reader.token]))
    assert no_store(response)


# Error reports -----------------------------------------------------------------------------


@pytest.mark.urls("tests.security.urls_boom")
def test_error_reports_do_not_include_what_was_posted(settings, caplog):
    settings.ADMINS = [("Admin", "admin@example.com")]
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.INFO):
        response = client.post(
            f"/boom/?q=search-{CANARY}",
            {"text": f"Question about {CANARY}", "password": "hunter2-secret"},
        )
    assert response.status_code == 500

    assert mailer.wait(10)  # error emails are sent by a thread of their own
    [report] = mail.outbox
    body = report.body + "".join(str(a[0]) for a in getattr(report, "alternatives", []))
    assert "/boom/" in report.subject + body
    assert "RuntimeError" in body
    assert "text" in body  # the field name, to know what was sent
    assert CANARY not in body
    assert "hunter2-secret" not in body
    assert CANARY not in caplog.text and "hunter2-secret" not in caplog.text


@pytest.mark.urls("tests.security.urls_boom")
def test_the_debug_page_hides_submitted_text_too(settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.post("/boom/", {"text": f"Question about {CANARY}"})
    assert response.status_code == 500
    assert CANARY not in response.content.decode()


def test_uploads_and_all_responses_say_nosniff(client):
    assert client.get("/")["X-Content-Type-Options"] == "nosniff"
