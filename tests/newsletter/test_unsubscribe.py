"""Unsubscribing: RFC 8058 one-click POST, a visible page whose GET changes nothing, and the
learner's profile section."""

import secrets

import pytest
from django.urls import reverse

from newsletter.models import Subscriber

pytestmark = pytest.mark.django_db


def test_one_click_post_unsubscribes_at_once_without_a_csrf_token(make_reader):
    from django.test import Client

    reader = make_reader("r@example.com")
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("newsletter:one_click", args=[reader.token]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"
    assert reader.unsubscribed_at is not None


def test_get_on_the_one_click_url_changes_nothing(client, make_reader):
    reader = make_reader("r@example.com")

    response = client.get(reverse("newsletter:one_click", args=[reader.token]))

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:unsubscribe", args=[reader.token])
    reader.refresh_from_db()
    assert reader.status == "confirmed"


def test_visible_unsubscribe_link_shows_a_button_and_changes_nothing(client, make_reader):
    reader = make_reader("r@example.com")

    response = client.get(reverse("newsletter:unsubscribe", args=[reader.token]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Unsubscribe from TIFT?" in page and "<button" in page
    assert "no-store" in response["Cache-Control"]
    reader.refresh_from_db()
    assert reader.status == "confirmed"


def test_the_button_unsubscribes(client, make_reader):
    reader = make_reader("r@example.com")
    url = reverse("newsletter:unsubscribe", args=[reader.token])

    response = client.post(url, follow=True)

    assert "You are unsubscribed" in response.content.decode()
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"


@pytest.mark.parametrize("name", ["newsletter:unsubscribe", "newsletter:one_click"])
def test_an_unknown_token_gets_404(client, make_reader, name):
    make_reader("r@example.com")
    unknown = reverse(name, args=[secrets.token_urlsafe(24)])

    assert client.get(unknown).status_code == 404
    assert client.post(unknown).status_code == 404
    assert Subscriber.objects.get().status == "confirmed"


def test_profile_shows_a_subscribe_button_to_a_learner_who_is_not_subscribed(client_for, learner):
    response = client_for(learner).get(reverse("accounts:profile"))

    assert response.status_code == 200
    assert "Subscribe to TIFT" in response.content.decode()


def test_learner_subscribes_from_the_profile_with_their_verified_address(
    client_for, learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(learner).post(
            reverse("newsletter:profile_subscription"), {"action": "subscribe"}
        )

    assert response["Location"] == reverse("accounts:profile")
    reader = Subscriber.objects.get()
    assert (reader.email, reader.status, reader.source) == (learner.email, "confirmed", "profile")
    assert [m.subject for m in mailoutbox] == ["Welcome to TIFT"]


def test_learner_with_an_unverified_address_gets_a_confirmation_link_instead(
    client_for, mailoutbox, django_capture_on_commit_callbacks
):
    from tests import factories

    user = factories.make_user("unverified@example.com", verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(user).post(reverse("newsletter:profile_subscription"), {"action": "subscribe"})

    assert Subscriber.objects.get().status == "pending"
    assert mailoutbox[0].subject == "Confirm your subscription to TIFT"


def test_subscribed_learner_sees_status_and_unsubscribes_from_the_profile(
    client_for, learner, make_reader
):
    make_reader(learner.email)
    client = client_for(learner)
    assert "Subscribed" in client.get(reverse("accounts:profile")).content.decode()

    client.post(reverse("newsletter:profile_subscription"), {"action": "unsubscribe"})

    assert Subscriber.objects.get().status == "unsubscribed"
    assert "Subscribe to TIFT" in client.get(reverse("accounts:profile")).content.decode()


def test_visitor_cannot_use_the_profile_endpoint(client):
    response = client.post(reverse("newsletter:profile_subscription"), {"action": "subscribe"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Subscriber.objects.exists()


def test_profile_endpoint_refuses_get(client_for, learner):
    response = client_for(learner).get(reverse("newsletter:profile_subscription"))

    assert response.status_code == 405
