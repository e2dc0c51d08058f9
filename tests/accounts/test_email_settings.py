"""The email settings page: every email a learner can get, with its switch, the ones that
cannot be turned off, one-click "off" links that work without signing in (RFC 8058), and the
footer every email carries."""

import re
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import EmailSettings
from accounts.notifications import off_token, opt_out
from forum.models import ForumProfile
from lib.email import render_email
from newsletter.models import Subscriber
from outbox.models import Message
from outbox.services import queue_email
from tests.accounts.test_signup import SIGNUP

pytestmark = pytest.mark.django_db

URL = reverse("accounts:email_settings")


def test_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_lists_every_email_a_learner_can_get(client_for, learner):
    page = unescape(client_for(learner).get(URL).content.decode())

    for label in EmailSettings.KINDS.values():
        assert label in page
    assert "Replies in topics you follow, and the digest" in page
    assert "TIFT, the newsletter" in page
    assert "Always sent" in page
    assert "Payments and enrolment" in page
    assert "Sign-in and security" in page


def test_the_page_is_private_and_never_cached(client_for, learner):
    response = client_for(learner).get(URL)

    assert "no-store" in response["Cache-Control"]


def test_a_person_without_an_enrolment_gets_no_forum_reply_switch(client_for, outsider):
    page = client_for(outsider).get(URL).content.decode()

    assert "Replies in topics you follow" not in page
    assert "Friday group reminders" in page


def test_saving_turns_switches_off_and_on(client_for, learner):
    c = client_for(learner)
    response = c.post(
        URL,
        {"forum_mentions": "on", "answer_notices": "on", "forum_email_mode": "daily"},
    )

    assert response.status_code == 302
    row = EmailSettings.objects.get(user=learner)
    assert row.forum_mentions and row.answer_notices
    assert not row.group_reminders and not row.group_recordings and not row.waitlist_news
    assert ForumProfile.objects.get(user=learner).email_mode == "daily"
    page = c.get(URL).content.decode()
    assert re.search(r'name="group_reminders"(?![^>]*checked)', page)
    assert re.search(r'name="forum_mentions"[^>]*checked', page)


def test_a_bad_forum_choice_is_pointed_out_not_a_500(client_for, learner):
    response = client_for(learner).post(URL, {"forum_email_mode": "weekly"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not EmailSettings.objects.filter(user=learner).exists()


def test_the_newsletter_switch_subscribes_and_unsubscribes_the_account(client_for, learner):
    c = client_for(learner)
    c.post(URL, {"newsletter": "on", "forum_email_mode": "immediate"})
    assert Subscriber.objects.get(email=learner.email).status in {"confirmed", "pending"}

    c.post(URL, {"forum_email_mode": "immediate"})
    assert Subscriber.objects.get(email=learner.email).status == "unsubscribed"


def test_the_profile_links_to_the_email_settings(client_for, learner):
    assert URL in client_for(learner).get(reverse("accounts:profile")).content.decode()


# One-click links ---------------------------------------------------------------------------


def off_path(user, kind):
    return reverse("accounts:email_off", args=[off_token(user_id=user.pk, kind=kind)])


def test_one_click_get_only_asks(client, learner):
    page = client.get(off_path(learner, "group_reminders")).content.decode()

    assert "Turn these emails off?" in page
    assert '<form method="post">' in page
    assert EmailSettings.wants(kind="group_reminders", user_id=learner.pk)


def test_one_click_post_works_without_signing_in_or_a_csrf_token(learner):
    response = Client(enforce_csrf_checks=True).post(
        off_path(learner, "group_reminders"), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert "Turned off" in response.content.decode()
    assert not EmailSettings.wants(kind="group_reminders", user_id=learner.pk)
    assert EmailSettings.wants(kind="answer_notices", user_id=learner.pk)


@pytest.mark.parametrize("token", ["forged:abc:" + "x" * 43, "nonsense"])
def test_a_forged_or_malformed_token_is_404(client, token):
    assert client.post(f"/profile/emails/off/{token}/").status_code == 404


def test_a_token_signed_for_another_purpose_is_404(client, learner):
    from forum.notifications import unsubscribe_token

    path = reverse("accounts:email_off", args=[unsubscribe_token(learner.pk)])

    assert client.post(path).status_code == 404


def test_opt_out_gives_the_rfc_8058_headers(learner):
    context, headers = opt_out(user_id=learner.pk, kind="answer_notices")

    assert headers["List-Unsubscribe"] == f"<{context['off_url']}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


# The footer --------------------------------------------------------------------------------


def test_every_email_has_the_settings_link_in_both_parts():
    _, text, html = render_email("account_deleted", {})

    assert f"{URL}" in text.rsplit("--", 1)[-1]
    assert html.count(URL) == 1
    assert html.index(URL) < html.lower().rindex("</body>")


def test_an_optional_email_carries_the_one_click_link_and_essential_ones_do_not(learner):
    context, _ = opt_out(user_id=learner.pk, kind="group_reminders")
    _, text, html = render_email("qa_answered", {"question_url": "/q/1/", **context})
    assert "Turn off these emails (Friday group reminders" in text
    assert context["off_url"] in html

    _, text, _ = render_email("enrol_confirmed", {})
    assert "Turn off these emails" not in text


def test_the_outbox_sends_the_footer_and_headers(learner, django_capture_on_commit_callbacks):
    context, headers = opt_out(user_id=learner.pk, kind="answer_notices")
    with django_capture_on_commit_callbacks(execute=True):
        queue_email("qa_answered", [learner.email], {"question_url": "/q/1/", **context}, headers)

    (message,) = mail.outbox
    assert Message.objects.get().status == Message.Status.DONE
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert context["off_url"] in message.body
    assert URL in message.alternatives[0][0]


def test_sign_up_emails_from_allauth_carry_the_footer(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), SIGNUP)

    (message,) = mail.outbox
    assert URL in message.body
    assert URL in message.alternatives[0][0]


def test_deleting_the_account_erases_its_email_settings(client_for, learner):
    from accounts import services

    EmailSettings.turn_off(user_id=learner.pk, kind="waitlist_news")

    services.delete_account(user=learner, keep_forum_posts=False)

    assert not EmailSettings.objects.filter(user=learner).exists()


def test_the_page_stays_within_the_learner_page_budget(
    client_for, learner, django_assert_max_num_queries
):
    from newsletter.models import Subscriber

    c = client_for(learner)
    c.get(URL)
    Subscriber.objects.create(email=learner.email, status="confirmed")
    EmailSettings.turn_off(user_id=learner.pk, kind="waitlist_news")

    with django_assert_max_num_queries(12):
        assert c.get(URL).status_code == 200
