"""PostgreSQL down (issue 21, point 3): every page answers 503 with Retry-After and a page that
says the site is briefly unavailable and nothing was saved, not the 500 page; /healthz answers
its JSON 503 to everyone, signed in or not."""

import contextlib
import socket
from unittest import mock

import pytest
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

import config.urls
from forum.models import Category
from tests.conftest import sign_in
from tests.forum.conftest import make_topic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def sql_typo(request) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELEC 1")
    return HttpResponse("unreachable")


# The site's URLconf (and so its handler500) plus a view with a bug in its SQL.
urlpatterns = [path("sql-typo/", sql_typo), path("", include("config.urls"))]
handler500 = config.urls.handler500


@contextlib.contextmanager
def postgres_refusing():
    """Until the block ends, every query needs a new connection and PostgreSQL refuses it, as
    when the server is down: each attempt really connects, to a port where nothing listens, and
    fails with the driver's own error. Yields the list of attempts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    attempts = []

    def refuse(wrapper):
        attempts.append(closed_port)
        params = {**wrapper.get_connection_params(), "host": "127.0.0.1", "port": closed_port}
        with wrapper.wrap_database_errors:
            wrapper.get_new_connection(params)
        raise AssertionError("connected to a closed port")

    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", refuse):
        yield attempts


def web_client(user=None) -> Client:
    """A client that gets the error page, as a browser would, instead of the exception."""
    client = Client(raise_request_exception=False)
    if user is not None:
        sign_in(client, user)
    return client


def assert_unavailable_page(response) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "The site is briefly unavailable" in page
    assert "nothing was saved" in page
    assert "Something went wrong" not in page
    return page


def test_a_visitor_gets_the_unavailable_page_on_the_home_page(db):
    client = web_client()
    with postgres_refusing():
        response = client.get(reverse("home"))
    assert_unavailable_page(response)


def test_a_signed_in_learner_gets_the_unavailable_page(learner):
    client = web_client(learner)
    with postgres_refusing():
        response = client.get(reverse("qa:my_questions"))
    page = assert_unavailable_page(response)
    assert learner.display_name not in page


def test_a_signed_in_page_tries_to_connect_once(learner):
    # Each try may wait DB_CONNECT_TIMEOUT for a server that does not answer: the error page
    # is not followed by more tries to read the user.
    client = web_client(learner)
    with postgres_refusing() as attempts:
        client.get(reverse("qa:my_questions"))
    assert len(attempts) == 1


def test_a_form_sent_meanwhile_is_not_saved_and_its_text_is_in_the_browser(learner):
    category = Category.objects.create(name="Practice questions", slug="practice")
    topic = make_topic(category, learner)
    client = web_client(learner)
    with postgres_refusing():
        response = client.post(
            reverse("forum:reply", args=[topic.pk]), {"body": "Sent while down", "format": "plain"}
        )
    page = assert_unavailable_page(response)
    assert "go back to the form and send it again" in page
    assert not topic.posts.filter(body="Sent while down").exists()


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "signed-in"])
def test_healthz_answers_503_json_to_everyone(signed_in, learner):
    client = web_client(learner if signed_in else None)
    with postgres_refusing():
        response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False


def test_healthz_reads_no_session_of_a_signed_in_caller(learner, django_assert_num_queries):
    client = web_client(learner)
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get(reverse("healthz"))
    assert response.status_code == 200


@pytest.mark.urls(__name__)
def test_a_bug_in_sql_is_still_the_500_page(db):
    response = web_client().get("/sql-typo/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Retry-After" not in response
