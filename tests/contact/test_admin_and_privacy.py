"""Contact messages for staff (admin → Contact messages) and as personal data: in the sender's
export, erased with their account, deleted after CONTACT_RETENTION_DAYS."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts_services
from contact import services
from contact.models import ContactMessage
from contact.tasks import purge_old_messages

pytestmark = pytest.mark.django_db

LIST = reverse("admin:contact_contactmessage_changelist")


def make_message(**fields) -> ContactMessage:
    fields.setdefault("name", "Vera Visitor")
    fields.setdefault("email", "vera@example.com")
    fields.setdefault("topic", ContactMessage.Topic.PROGRAM)
    fields.setdefault("message", "Is the program for me?")
    return ContactMessage.objects.create(**fields)


def test_staff_list_messages_newest_first_with_their_status(client_for, staff):
    make_message(name="Older", created_at=timezone.now() - dt.timedelta(days=2))
    make_message(name="Newer")

    html = client_for(staff).get(LIST).content.decode()

    assert html.index("Newer") < html.index("Older")
    assert "New" in html


def test_staff_filter_by_status_and_topic_and_search_by_address(client_for, staff):
    make_message(name="Coaching one", topic=ContactMessage.Topic.COACHING)
    make_message(name="Answered one", status=ContactMessage.Status.ANSWERED)
    make_message(name="Searched one", email="findme@example.com")
    client = client_for(staff)

    by_topic = client.get(LIST, {"topic__exact": "coaching"}).content.decode()
    by_status = client.get(LIST, {"status__exact": "answered"}).content.decode()
    by_search = client.get(LIST, {"q": "findme"}).content.decode()

    assert "Coaching one" in by_topic and "Answered one" not in by_topic
    assert "Answered one" in by_status and "Coaching one" not in by_status
    assert "Searched one" in by_search and "Coaching one" not in by_search


def test_staff_read_a_message_and_set_its_status_and_note(client_for, staff):
    message = make_message()
    url = reverse("admin:contact_contactmessage_change", args=[message.pk])
    client = client_for(staff)

    page = client.get(url).content.decode()
    response = client.post(url, {"status": "answered", "staff_note": "Replied by email."})

    assert "Is the program for me?" in page
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.staff_note) == ("answered", "Replied by email.")
    assert message.message == "Is the program for me?"  # what was sent is not editable


def test_staff_mark_several_messages_answered_at_once(client_for, staff):
    first, second = make_message(), make_message()

    client_for(staff).post(
        LIST, {"action": "mark_answered", "_selected_action": [first.pk, second.pk]}
    )

    assert set(ContactMessage.objects.values_list("status", flat=True)) == {"answered"}


def test_messages_are_not_added_by_hand(client_for, staff):
    assert client_for(staff).get(reverse("admin:contact_contactmessage_add")).status_code == 403


def test_learners_cannot_open_the_messages(client_for, learner):
    response = client_for(learner).get(LIST)

    assert response.status_code == 302  # to the admin's sign-in
    assert "Is the program" not in response.content.decode()


def test_the_list_reads_a_constant_number_of_queries(client_for, staff):
    client = client_for(staff)
    make_message()
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(20):
        make_message()
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)

    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_messages_title_in_the_admin_history_names_no_one(staff):
    assert str(make_message(pk=7)) == "Message 7 (The program and enrolment)"


# Personal data ---------------------------------------------------------------------------------


def test_the_export_has_the_messages_sent_signed_in_or_from_the_accounts_address(
    client_for, learner
):
    make_message(user=learner, email="old@example.com", message="Signed in.")
    make_message(email="learner@example.com", message="From my address.")
    make_message(email="someone@example.com", message="Someone else's.")

    data = client_for(learner).get(reverse("accounts:export")).json()

    texts = sorted(m["message"] for m in data["contact_messages"])
    assert texts == ["From my address.", "Signed in."]


def test_deleting_the_account_erases_its_messages_and_no_one_elses(learner):
    make_message(user=learner, email="old@example.com")
    make_message(email="learner@example.com")
    other = make_message(email="someone@example.com")

    accounts_services.delete_account(user=learner, keep_forum_posts=False)

    assert list(ContactMessage.objects.all()) == [other]


def test_messages_past_the_retention_are_deleted(settings):
    settings.CONTACT_RETENTION_DAYS = 30
    now = timezone.now()
    make_message(created_at=now - dt.timedelta(days=31))
    kept = make_message(created_at=now - dt.timedelta(days=29))

    assert purge_old_messages() == 1

    assert list(ContactMessage.objects.all()) == [kept]


def test_beat_runs_the_purge_daily():
    from config.celery import app

    entry = app.conf.beat_schedule["contact-purge-old-messages"]
    assert entry["task"] == purge_old_messages.name


def test_the_privacy_page_states_the_retention_from_the_setting(client, settings):
    settings.CONTACT_RETENTION_DAYS = 123

    html = client.get(reverse("privacy")).content.decode()

    assert 'id="contact"' in html
    assert "123 days after you send it" in html


def test_the_staff_notice_recipients_are_those_who_handle_messages(staff, instructor, learner):
    assert services.staff_recipients() == sorted([staff.email, instructor.email])
