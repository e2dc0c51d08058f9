"""Rate limits: sign-in, sign-up and password reset (allauth's, ACCOUNT_RATE_LIMITS) answer with
a clear message, never a 500, and count the real client behind a proxy (TRUSTED_PROXY_COUNT).

The limits of our own forms (waitlist, financial aid, newsletter, questions, forum posts) are
tested next to each form: tests/courses/test_waitlist.py, test_aid.py,
tests/newsletter/test_signup.py, tests/qa/test_ask.py, tests/forum/test_posting.py.
"""

import re
import time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import User
from lib import ratelimit

pytestmark = pytest.mark.django_db


def signup(client: Client, n: int, **extra):
    return client.post(
        reverse("account_signup"),
        {
            "email": f"new{n}@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
            "display_name": f"New {n}",
            "time_zone": "America/New_York",
        },
        **extra,
    )


def test_failed_sign_ins_are_limited_per_account_and_address_with_a_message_on_the_form(
    client, learner
):
    for _ in range(5):
        wrong = client.post(
            reverse("account_login"), {"login": learner.email, "password": "not it"}
        )
        assert wrong.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": learner.email, "password": "correct horse battery"}
    )
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_sign_in_is_the_same_limited_sign_in(client, instructor):
    login = client.get(reverse("admin:login"))["Location"]
    assert login.startswith(reverse("account_login"))
    for _ in range(5):
        client.post(login, {"login": instructor.email, "password": "not it"})
    response = client.post(login, {"login": instructor.email, "password": "correct horse battery"})
    assert "Too many failed login attempts" in response.content.decode()


# Lockout is not a weapon: failed sign-ins count per account *and* address ------------------

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}
RIGHT = "correct horse battery"


def sign_in_at(client: Client, address: dict, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **address)


def attack(email: str, times: int = 6) -> Client:
    attacker = Client()
    for _ in range(times):
        assert sign_in_at(attacker, ATTACKER, email, "guess").status_code == 200
    return attacker


def test_an_attacker_at_one_address_cannot_lock_the_owner_out_elsewhere(learner):
    attack(learner.email)
    owner = Client()

    response = sign_in_at(owner, OWNER, learner.email, RIGHT)

    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(learner.pk)


def test_the_attacker_stays_locked_out_at_their_address_even_with_the_right_password(learner):
    attacker = attack(learner.email)

    response = sign_in_at(attacker, ATTACKER, learner.email, RIGHT)

    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def request_reset(address: dict, email: str, capture):
    with capture(execute=True):
        return Client().post(reverse("account_reset_password"), {"email": email}, **address)


def set_new_password(message, address: dict) -> None:
    """Follow the reset link of `message` and choose "a brand new passphrase 7"."""
    client = Client()
    link = re.search(r"https?://\S+/password/reset/key/\S+/", message.body).group(0)
    form = client.get(urlsplit(link).path, follow=True, **address)
    new = {"password1": "a brand new passphrase 7", "password2": "a brand new passphrase 7"}
    assert client.post(form.redirect_chain[-1][0], new, **address).status_code == 302


def reset_password(address: dict, email: str, mailoutbox, capture) -> None:
    request_reset(address, email, capture)
    set_new_password(mailoutbox[-1], address)


@pytest.mark.parametrize("where", [ATTACKER, OWNER], ids=["attackers address", "own address"])
def test_the_owner_resets_the_password_from_any_address_and_signs_in(
    where, learner, mailoutbox, django_capture_on_commit_callbacks
):
    attack(learner.email)
    reset_password(where, learner.email, mailoutbox, django_capture_on_commit_callbacks)
    owner = Client()

    response = sign_in_at(owner, where, learner.email, "a brand new passphrase 7")

    assert response.status_code == 302
    assert owner.session["_auth_user_id"] == str(learner.pk)


def test_reset_requests_made_by_an_attacker_still_leave_the_owner_a_working_link(
    learner, mailoutbox, django_capture_on_commit_callbacks
):
    """Resets stay limited per account (3 an hour), so the owner's inbox cannot be flooded;
    the emails an attacker triggers go to the owner, and each link in them works."""
    for _ in range(3):
        request_reset(ATTACKER, learner.email, django_capture_on_commit_callbacks)
    refused = request_reset(OWNER, learner.email, django_capture_on_commit_callbacks)
    assert refused.status_code == 429
    assert [m.to for m in mailoutbox] == [[learner.email]] * 3

    set_new_password(mailoutbox[0], OWNER)

    owner = Client()
    assert sign_in_at(owner, OWNER, learner.email, "a brand new passphrase 7").status_code == 302


def test_failed_sign_ins_from_one_address_across_many_accounts_are_limited(learner):
    attacker = Client()
    for n in range(10):
        sign_in_at(attacker, ATTACKER, f"someone{n}@example.com", "guess")

    locked = sign_in_at(attacker, ATTACKER, learner.email, RIGHT)
    elsewhere = sign_in_at(Client(), OWNER, learner.email, RIGHT)

    assert "Too many failed login attempts" in locked.content.decode()
    assert elsewhere.status_code == 302


def test_a_slow_flood_from_one_address_is_limited_by_the_hour(learner):
    """Ten failures a minute pass the per-minute limit; thirty in an hour do not."""
    attacker = Client()
    start = time.time()
    for minute in range(3):
        with time_machine.travel(start + 61 * minute, tick=False):
            for n in range(10):
                sign_in_at(attacker, ATTACKER, f"m{minute}-{n}@example.com", "guess")
    with time_machine.travel(start + 61 * 3, tick=False):
        locked = sign_in_at(attacker, ATTACKER, learner.email, RIGHT)
    assert "Too many failed login attempts" in locked.content.decode()


def test_an_ipv6_attacker_cannot_step_through_their_network_for_more_guesses(learner):
    attacker = Client()
    for n in range(5):
        sign_in_at(attacker, {"REMOTE_ADDR": f"2001:db8:1:1::{n + 1}"}, learner.email, "guess")

    response = sign_in_at(attacker, {"REMOTE_ADDR": "2001:db8:1:1::99"}, learner.email, RIGHT)

    assert "Too many failed login attempts" in response.content.decode()


def test_signups_from_one_address_are_limited(client):
    for n in range(10):
        assert signup(client, n).status_code == 302
    response = signup(client, 99)
    assert response.status_code == 429
    assert "Please wait a little before trying again" in response.content.decode()
    assert not User.objects.filter(email="new99@example.com").exists()


def test_password_reset_requests_are_limited_per_address(client, learner, mailoutbox):
    for _ in range(3):
        client.post(reverse("account_reset_password"), {"email": learner.email})
    response = client.post(reverse("account_reset_password"), {"email": learner.email})
    assert response.status_code == 429
    assert "Please wait a little" in response.content.decode()


def test_password_reset_requests_are_limited_per_client(client):
    for n in range(10):
        client.post(reverse("account_reset_password"), {"email": f"who{n}@example.com"})
    response = client.post(reverse("account_reset_password"), {"email": "who99@example.com"})
    assert response.status_code == 429


# The client's address behind a proxy -------------------------------------------------------


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.9", REMOTE_ADDR="10.0.0.2")
    assert ratelimit.client_ip(request) == "10.0.0.2"


def test_behind_a_proxy_clients_are_counted_separately(client, settings):
    """Every request comes from the proxy's address; the limit still applies per client."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(10):
        signup(client, n, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    assert signup(client, 50, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy).status_code == 429
    other = signup(Client(), 51, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert other.status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_limit(client, settings):
    """The proxy appends the address it saw; whatever the client put in front is ignored."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(10):
        forged = f"192.0.2.{n}, 203.0.113.9"
        signup(client, n, HTTP_X_FORWARDED_FOR=forged, **proxy)
    response = signup(client, 50, HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.9", **proxy)
    assert response.status_code == 429


def test_the_proxy_setting_follows_behind_proxy(monkeypatch):
    import subprocess
    import sys

    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.TRUSTED_PROXY_COUNT)"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "PATH": "/usr/bin"}
    plain = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    proxied = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "BEHIND_PROXY": "1"},
        capture_output=True,
        text=True,
    )
    two = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "BEHIND_PROXY": "1", "TRUSTED_PROXY_COUNT": "2"},
        capture_output=True,
        text=True,
    )
    assert (plain.stdout.strip(), proxied.stdout.strip(), two.stdout.strip()) == ("0", "1", "2")
