"""A worked example of the conventions every test here follows. Read this first.

1. Go through HTTP. Use the test client (`client`, or `client_for(user)`) and assert on
   what a person would see: status codes, text on the page, where a form redirects.
2. Use the personas from tests/conftest.py. A guarded page gets one test per persona that
   must not see it, and they all expect 404 (never 403: a 403 admits the thing exists).
3. Build data with tests/factories.py, which has deterministic defaults. Override only the
   fields the test is about, so the reader sees what matters.
4. Count queries on every list and detail page with `django_assert_max_num_queries` (or
   `django_assert_num_queries`), and check the count does not grow with the data.
5. Email and Celery tasks: services record them in the outbox (`outbox.services.queue_email`,
   `queue_task`), which hands them to a worker after the transaction commits. Wrap the
   request in `django_capture_on_commit_callbacks(execute=True)` so they run (inline), then
   read `mailoutbox`. A failed send waits for `outbox.services.deliver_due` (beat).
6. Name tests as sentences: test_<who>_<does or gets what>.
7. Mark tests that need PostgreSQL with @pytest.mark.postgres and browser tests with
   @pytest.mark.browser; they skip locally without those parts and fail in CI.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_visitor_sees_the_home_page(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "How Therapy Works" in response.content.decode()


def test_visitor_is_sent_to_sign_in_for_the_dashboard(client):
    response = client.get(reverse("courses:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_learner_sees_their_trimester_on_the_dashboard(client_for, learner, cohort):
    response = client_for(learner).get(reverse("courses:dashboard"))

    assert response.status_code == 200
    assert cohort.course.title in response.content.decode()


def test_dashboard_queries_do_not_grow_with_enrolments(
    client_for, learner, django_assert_max_num_queries
):
    from tests import factories

    c = client_for(learner)
    for _ in range(5):
        factories.enrol(learner, factories.make_cohort())
    with django_assert_max_num_queries(12):
        assert c.get(reverse("courses:dashboard")).status_code == 200


def test_profile_change_sends_no_email_but_saves(client_for, learner, mailoutbox):
    response = client_for(learner).post(
        reverse("accounts:profile"),
        {"display_name": "Lee L.", "credentials": "PhD", "time_zone": "Europe/London", "bio": ""},
    )

    assert response.status_code == 302
    learner.refresh_from_db()
    assert (learner.display_name, learner.time_zone) == ("Lee L.", "Europe/London")
    assert mailoutbox == []
