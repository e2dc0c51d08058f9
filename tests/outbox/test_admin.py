"""Admin → Outgoing email: staff see what failed, filter it and send it again; they never see
a message's content, and Q&A notices only if they may read questions."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outbox.models import Message
from outbox.services import queue_email

pytestmark = pytest.mark.django_db

LIST = reverse("admin:outbox_message_changelist")
TOKEN = "unsubscribe-token-abc123"


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    def send_one(name: str, to: str, context: dict | None = None) -> Message:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            message = queue_email(name, [to], context or {"unsubscribe_url": f"/u/{TOKEN}/"})
        message.refresh_from_db()
        return message

    return send_one


@pytest.fixture
def refused(smtp_settings, send):
    """A forum email the mail server refused for good (a 550)."""
    smtp_settings.answer = "550 5.1.1 No such user"
    message = send("forum_mention", "gone@example.com")
    smtp_settings.answer = ""
    assert message.status == Message.Status.FAILED
    return message


def test_staff_find_a_failed_email_by_its_status_without_its_content(client_for, staff, refused):
    response = client_for(staff).get(LIST, {"status__exact": "failed"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [refused]
    page = response.content.decode()
    assert "gone@example.com" in page and "SMTPDataError 550" in page
    detail = client_for(staff).get(reverse("admin:outbox_message_change", args=[refused.pk]))
    assert detail.status_code == 200
    assert "forum_mention" in detail.content.decode()
    assert 'name="_save"' not in detail.content.decode()  # nothing to edit
    for shown in (page, detail.content.decode()):
        assert TOKEN not in shown


def test_staff_send_a_failed_email_again_and_it_arrives(
    client_for, staff, refused, smtp_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            LIST, {"action": "send_again", "_selected_action": [refused.pk]}
        )

    assert response.status_code == 302
    refused.refresh_from_db()
    assert (refused.status, refused.last_error) == (Message.Status.DONE, "")
    assert smtp_settings.recipients() == ["gone@example.com"]


def test_send_again_leaves_sent_and_waiting_emails_alone(
    client_for, staff, refused, smtp_settings, send, django_capture_on_commit_callbacks
):
    sent = send("forum_mention", "here@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(staff).post(
            LIST, {"action": "send_again", "_selected_action": [refused.pk, sent.pk]}
        )

    assert smtp_settings.recipients() == ["gone@example.com", "here@example.com"]
    sent.refresh_from_db()
    assert sent.attempts == 1


def test_q_and_a_notices_are_shown_only_to_those_who_may_read_questions(
    client_for, staff, instructor, smtp_settings, send
):
    smtp_settings.answer = "550 5.1.1 No such user"
    notice = send("qa_answered", "learner@example.com", {"question_url": "/q/", "kind": "x"})
    other = send("forum_mention", "someone@example.com")

    as_staff = client_for(staff).get(LIST)
    as_instructor = client_for(instructor).get(LIST)

    assert list(as_staff.context["cl"].result_list) == [other]
    assert set(as_instructor.context["cl"].result_list) == {notice, other}
    detail = reverse("admin:outbox_message_change", args=[notice.pk])
    assert client_for(staff).get(detail).status_code == 302  # "does not exist": the index


def test_learners_cannot_open_the_outbox(client_for, learner, refused):
    response = client_for(learner).get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_list_uses_the_same_queries_for_2_and_20_emails(client_for, staff, smtp_settings, send):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    c = client_for(staff)
    for n in range(2):
        send("forum_mention", f"a{n}@example.com")
    c.get(LIST)
    small = count()
    for n in range(18):
        send("forum_mention", f"b{n}@example.com")

    assert count() == small
