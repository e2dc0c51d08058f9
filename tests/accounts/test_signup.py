import re
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "new.person@example.com",
    "password1": "a long calm passphrase",
    "password2": "a long calm passphrase",
    "display_name": "New Person",
    "credentials": "LPC",
    "time_zone": "Europe/London",
}


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", message.body)
    assert match, message.body
    return urlparse(match.group(0)).path


def test_signup_verify_login_and_edit_profile(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert (user.display_name, user.credentials, user.time_zone) == (
        "New Person",
        "LPC",
        "Europe/London",
    )

    # Mandatory verification: the dashboard is not reachable before confirming.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.com"]
    assert client.get(reverse("courses:dashboard")).status_code == 302

    link = confirmation_link(mailoutbox[0])
    assert client.get(link).status_code == 200  # a GET shows a button; it confirms nothing
    response = client.post(link)
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified

    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "new.person@example.com", "password": SIGNUP["password1"]},
    )
    assert response.status_code == 302
    assert client.get(reverse("courses:dashboard")).status_code == 200

    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "N. Person",
            "credentials": "LPC, PhD",
            "time_zone": "Australia/Sydney",
            "bio": "Hi",
        },
        follow=True,
    )
    assert "Your profile is saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.time_zone, user.bio) == ("N. Person", "Australia/Sydney", "Hi")


def test_unverified_user_cannot_sign_in(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_signup"), SIGNUP)
    client.logout()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("courses:dashboard")).status_code == 302


def test_signup_errors_are_shown_next_to_fields_and_keep_input(client):
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "password2": "different", "display_name": ""}
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "new.person@example.com" in html  # input kept
    assert "This field is required." in html
    assert not User.objects.filter(email=SIGNUP["email"]).exists()


def test_signup_with_a_taken_email_does_not_create_a_second_account(client, learner):
    client.post(reverse("account_signup"), {**SIGNUP, "email": learner.email})
    assert User.objects.filter(email=learner.email).count() == 1


def test_password_reset_mail_is_sent_by_the_task(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": learner.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "password" in mailoutbox[0].subject.lower()
