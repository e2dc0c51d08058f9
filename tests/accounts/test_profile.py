import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_visitor_is_asked_to_sign_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_profile_shows_the_users_details(client_for, learner):
    html = client_for(learner).get(reverse("accounts:profile")).content.decode()
    assert 'value="Lee Learner"' in html
    assert '<label for="id_time_zone">' in html


def test_invalid_time_zone_shows_an_error_and_changes_nothing(client_for, learner):
    response = client_for(learner).post(
        reverse("accounts:profile"),
        {"display_name": "Changed", "credentials": "", "time_zone": "Mars/Olympus", "bio": ""},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    learner.refresh_from_db()
    assert learner.display_name == "Lee Learner"


def test_feed_token_reset_makes_a_new_token(client_for, learner):
    old = learner.feed_token
    response = client_for(learner).post(reverse("accounts:reset_feed_token"))
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.feed_token != old
    assert len(learner.feed_token) >= 32


def test_feed_token_reset_refuses_get(client_for, learner):
    old = learner.feed_token
    assert client_for(learner).get(reverse("accounts:reset_feed_token")).status_code == 405
    learner.refresh_from_db()
    assert learner.feed_token == old


def test_public_name_never_shows_the_email(learner):
    assert learner.email not in str(learner)
    assert str(learner) == "Lee Learner, LMHC"
