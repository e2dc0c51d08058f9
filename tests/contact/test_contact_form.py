"""The contact form (/contact/): stored, staff told without the text, rate-limited, a trap for
bots, and its "Join the waitlist" topic going into the real waitlist."""

import logging

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from contact.models import ContactMessage
from courses.models import WaitlistEntry
from tests import factories

pytestmark = pytest.mark.django_db

SECRET = "My client Ada keeps cancelling"  # stands for private text that must never leak


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def form(**fields):
    return {
        "name": "Vera Visitor",
        "email": "vera@example.com",
        "topic": "program",
        "course": "",
        "message": f"{SECRET}; is the program for me?",
        "website": "",
        **fields,
    }


def send(client, data, **extra):
    return client.post(reverse("contact"), data, **extra)


def test_the_page_is_a_form_with_name_email_topic_and_message(client):
    response = client.get(reverse("contact"))

    html = response.content.decode()
    assert response.status_code == 200
    for label in ["Your name", "Your email", "Topic", "Your message", "Trimester"]:
        assert f">{label} <" in html or f">{label}<" in html, label
    assert 'name="csrfmiddlewaretoken"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_message_is_stored_and_the_sender_sees_the_thanks_page(client):
    response = send(client, form())

    assert response.status_code == 302
    assert response["Location"] == reverse("contact_thanks")
    message = ContactMessage.objects.get()
    assert (message.name, message.email, message.topic, message.status) == (
        "Vera Visitor",
        "vera@example.com",
        "program",
        ContactMessage.Status.NEW,
    )
    assert SECRET in message.message
    assert message.user is None
    thanks = client.get(response["Location"])
    assert "Your message has reached us" in thanks.content.decode()


def test_staff_get_a_notice_with_the_topic_and_a_link_never_the_text_name_or_address(
    client, staff, instructor, outsider, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, form(topic="coaching"))

    [mail] = mailoutbox
    message = ContactMessage.objects.get()
    assert sorted(mail.to) == sorted([staff.email, instructor.email])
    assert "Coaching and mentoring" in mail.subject
    admin_link = reverse("admin:contact_contactmessage_change", args=[message.pk])
    assert admin_link in mail.body
    html = mail.alternatives[0][0]
    for private in [SECRET, "Vera", "vera@example.com"]:
        assert private not in mail.subject + mail.body + html


def test_the_notice_goes_to_the_contact_inbox_when_no_staff_account_handles_messages(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.CONTACT_EMAIL = "inbox@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        send(client, form())

    assert [m.to for m in mailoutbox] == [["inbox@example.com"]]


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"message": " "}, "message", "Write your message."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"topic": "free-lunch"}, "topic", "Select a valid choice."),
        ({"message": "x" * 5001}, "message", "at most 5000 characters"),
    ],
)
def test_bad_input_is_named_next_to_its_field_and_nothing_is_stored(client, fields, field, error):
    response = send(client, form(**fields))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert error in html
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in html or (
        f'aria-describedby="id_{field}_error"' in html
    )
    assert not ContactMessage.objects.exists()


def test_a_signed_in_person_finds_the_form_filled_in_and_the_message_tied_to_the_account(
    client_for, learner
):
    client = client_for(learner)
    html = client.get(reverse("contact")).content.decode()
    assert 'value="learner@example.com"' in html
    assert 'value="Lee Learner"' in html

    send(client, form(email="learner@example.com"))

    assert ContactMessage.objects.get().user == learner


def test_a_topic_in_the_link_is_chosen_for_the_visitor(client):
    html = client.get(reverse("contact") + "?topic=coaching").content.decode()

    assert '<option value="coaching" selected>' in html


def test_an_unknown_topic_in_the_link_is_ignored(client):
    response = client.get(reverse("contact") + "?topic=<script>&course=nope")

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main")[1]


def test_a_filled_in_trap_field_looks_sent_but_nothing_is_stored_or_emailed(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, form(website="http://spam.example"))

    assert response["Location"] == reverse("contact_thanks")
    assert not ContactMessage.objects.exists()
    assert mailoutbox == []


def test_the_form_needs_its_csrf_token():
    client = Client(enforce_csrf_checks=True)

    response = send(client, form())

    assert response.status_code == 403
    assert not ContactMessage.objects.exists()


def test_one_connection_may_send_five_messages_an_hour_then_reads_why_not(client):
    for n in range(5):
        assert send(client, form(email=f"p{n}@example.com")).status_code == 302

    response = send(client, form(email="sixth@example.com"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "several messages from this connection in the last hour" in html
    assert 'class="form-errors" role="alert"' in html
    assert ContactMessage.objects.count() == 5


def test_one_email_address_may_send_three_messages_an_hour_from_anywhere(client):
    for n in range(3):
        send(client, form(), REMOTE_ADDR=f"192.0.2.{n + 1}")

    response = send(client, form(email="VERA@example.com"), REMOTE_ADDR="192.0.2.9")

    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert "several messages from this address in the last hour" in html
    assert ContactMessage.objects.count() == 3


def test_the_rate_limit_keys_hold_no_email_address(client, monkeypatch):
    from lib import ratelimit

    keys = []
    real = ratelimit.allow
    monkeypatch.setattr(ratelimit, "allow", lambda key, **kw: keys.append(key) or real(key, **kw))

    send(client, form())

    assert len(keys) == 2
    assert not any("vera" in key for key in keys)


def test_the_message_never_reaches_the_logs(
    client, staff, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, form())
        send(client, form(message=""))  # an invalid submit too

    assert SECRET not in caplog.text
    assert "vera@example.com" not in caplog.text


def test_the_contact_page_uses_few_queries(client, django_assert_max_num_queries):
    factories.make_course()
    factories.make_course()
    with django_assert_max_num_queries(3):
        assert client.get(reverse("contact")).status_code == 200


# The "Join the waitlist" topic ----------------------------------------------------------------


def test_the_waitlist_topic_puts_the_person_on_the_next_runs_waitlist(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, form(topic="waitlist", course=course.pk, message="Evenings."))

    assert response["Location"] == reverse("courses:waitlist_thanks", args=[course.slug])
    entry = WaitlistEntry.objects.get()
    assert (entry.course, entry.cohort, entry.email, entry.message) == (
        course,
        None,
        "vera@example.com",
        "Evenings.",
    )
    [mail] = mailoutbox  # the waitlist's own confirmation
    assert mail.to == ["vera@example.com"] and "waitlist" in mail.subject
    assert not ContactMessage.objects.exists()  # the waitlist entry is the record


def test_the_waitlist_topic_follows_the_waitlists_rules_one_entry_per_person(
    client, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, form(topic="waitlist", course=course.pk, message=""))
        second = send(client, form(topic="waitlist", course=course.pk, email="VERA@example.com"))

    assert second.status_code == 302  # the same thanks page: no hint who is on the list
    assert WaitlistEntry.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_waitlist_topic_asks_for_the_trimester(client, course):
    response = send(client, form(topic="waitlist", course=""))

    html = response.content.decode()
    assert 'id="id_course_error"' in html
    assert "Choose the trimester whose waitlist you want to join." in html
    assert not WaitlistEntry.objects.exists()


def test_the_waitlist_topic_keeps_the_waitlists_shorter_message_limit(client, course):
    response = send(client, form(topic="waitlist", course=course.pk, message="x" * 2001))

    assert "keep the message to 2000 characters" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_a_course_in_the_link_is_chosen_for_the_waitlist(client, course):
    html = client.get(reverse("contact") + f"?topic=waitlist&course={course.slug}").content
    html = html.decode()

    assert f'<option value="{course.pk}" selected>' in html
    assert '<option value="waitlist" selected>' in html


def test_the_contact_page_stays_within_the_learner_page_budget(client_for, learner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(learner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("contact") + "?topic=waitlist&course=x").status_code == 200

    assert len(queries) <= 12
