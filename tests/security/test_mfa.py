"""Two-factor authentication: an authenticator app and recovery codes for everyone, required
for instructor, staff and superuser accounts before they reach the admin."""

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client
from django.urls import reverse

from accounts import roles
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def code_for(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def with_app(user) -> str:
    """Give `user` an authenticator app (and recovery codes); returns the app's secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def sign_in_with_password(client: Client, email: str, next_url: str = ""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": PASSWORD})


def open_app_setup(client: Client):
    """allauth asks for the password again before the app is set up (a stolen session alone
    cannot add a second factor)."""
    first = client.get(reverse("mfa_activate_totp"))
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    client.post(first["Location"], {"password": PASSWORD})
    return client.get(reverse("mfa_activate_totp"))


def test_the_profile_links_to_two_factor_settings(client_for, learner):
    html = client_for(learner).get(reverse("accounts:profile")).content.decode()
    assert reverse("mfa_index") in html
    assert "Two-factor authentication</a> —\n      off" in html


def test_a_learner_turns_on_the_authenticator_app_and_gets_recovery_codes(client, learner):
    sign_in_with_password(client, learner.email)
    page = open_app_setup(client)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown for manual entry next to the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=learner).exists()

    response = client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})
    assert response.status_code == 302
    kinds = set(Authenticator.objects.filter(user=learner).values_list("type", flat=True))
    assert kinds == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    unused = RecoveryCodes(Authenticator.objects.get(user=learner, type="recovery_codes"))
    assert unused.get_unused_codes()[0] in codes


def test_sign_in_asks_for_the_code_once_the_app_is_on(client, learner):
    secret = with_app(learner)
    response = sign_in_with_password(client, learner.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("courses:dashboard")).status_code == 302  # not signed in yet

    refused = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert refused.status_code == 200
    assert "Incorrect code" in refused.content.decode()

    client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert client.get(reverse("courses:dashboard")).status_code == 200


def test_a_recovery_code_signs_in_once(client, learner):
    with_app(learner)
    recovery = RecoveryCodes(Authenticator.objects.get(user=learner, type="recovery_codes"))
    code = recovery.get_unused_codes()[0]

    sign_in_with_password(client, learner.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert client.get(reverse("courses:dashboard")).status_code == 200

    again = Client()
    sign_in_with_password(again, learner.email)
    reused = again.post(reverse("mfa_authenticate"), {"code": code})
    assert reused.status_code == 200
    assert again.get(reverse("courses:dashboard")).status_code == 302


def test_wrong_codes_are_rate_limited(client, learner):
    with_app(learner)
    sign_in_with_password(client, learner.email)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code in (200, 429)
    assert "Too many" in response.content.decode()


# The admin ----------------------------------------------------------------------------------


def confirm_setup_email(client: Client, mailoutbox, django_capture_on_commit_callbacks) -> None:
    """The first app of an account with staff powers needs a code emailed to its verified
    address (accounts/mfa.py): ask for it and type it in."""
    url = reverse("accounts:mfa_setup_code")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    response = client.post(url, {"action": "verify", "code": code})
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


@pytest.mark.parametrize("kind", ["instructor", "staff", "superuser"])
def test_staff_without_an_app_are_sent_to_set_one_up_before_the_admin(client, kind):
    if kind == "superuser":
        user = factories.make_user("root@example.com", is_staff=True, is_superuser=True)
    else:
        role = roles.INSTRUCTOR if kind == "instructor" else roles.STAFF
        user = factories.make_user(f"{kind}@example.com", role=role)
    sign_in_with_password(client, user.email)

    response = client.get(reverse("admin:index"), follow=True)

    hops = [url for url, _ in response.redirect_chain]
    assert any(url.startswith(reverse("mfa_activate_totp")) for url in hops)
    # The first app of a staff account starts with a code sent to its email.
    assert response.request["PATH_INFO"] == reverse("accounts:mfa_setup_code")
    assert "Confirm your email first" in response.content.decode()
    assert "Program administration" not in response.content.decode()
    for url in ["/admin/qa/question/", "/admin/courses/enrollment/", "/admin/accounts/user/"]:
        page = client.get(url, follow=True)
        assert page.request["PATH_INFO"] == reverse("accounts:mfa_setup_code")


def test_setting_up_the_app_opens_the_admin_in_the_same_session(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = factories.make_user("staffer@example.com", role=roles.STAFF)
    sign_in_with_password(client, user.email)
    confirm_setup_email(client, mailoutbox, django_capture_on_commit_callbacks)
    open_app_setup(client)
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})

    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Program administration" in response.content.decode()


def test_the_admin_login_goes_through_sign_in_and_the_code(client, instructor):
    secret = with_app(instructor)
    login = client.get(reverse("admin:index"), follow=True)
    assert login.redirect_chain[-1][0].startswith(reverse("account_login"))

    step = sign_in_with_password(client, instructor.email, next_url="/admin/")
    assert step["Location"] == reverse("mfa_authenticate")
    done = client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    assert done["Location"] == "/admin/"
    assert "Program administration" in client.get("/admin/").content.decode()


def test_a_session_that_skipped_the_code_must_confirm_it(instructor):
    """A staff session without a two-factor step (e.g. signed in before the app was set up
    elsewhere) confirms a code before the admin opens."""
    secret = with_app(instructor)
    client = Client()
    client.force_login(instructor)

    response = client.get("/admin/qa/question/", follow=True)
    assert response.request["PATH_INFO"] == reverse("mfa_reauthenticate")
    assert "Program administration" not in response.content.decode()
    client.post(response.redirect_chain[-1][0], {"code": code_for(secret)})
    assert client.get("/admin/qa/question/").status_code == 200


def test_staff_cannot_remove_their_authenticator_app(client_for, instructor):
    with_app(instructor)
    client = client_for(instructor)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=instructor, type="totp").exists()


def test_a_learner_may_turn_the_app_off(client, learner):
    with_app(learner)
    client.force_login(learner)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    client.post(reverse("mfa_deactivate_totp"))
    assert not Authenticator.objects.filter(user=learner, type="totp").exists()


def test_learners_never_reach_the_admin_even_with_an_app(client, learner):
    secret = with_app(learner)
    sign_in_with_password(client, learner.email)
    client.post(reverse("mfa_authenticate"), {"code": code_for(secret)})
    response = client.get(reverse("admin:index"))
    assert response.status_code in (302, 403)
    assert "Program administration" not in response.content.decode()


def test_demo_staff_sign_in_with_the_demo_authenticator(settings, client):
    from django.core.management import call_command

    from accounts.demo import demo_code

    settings.DEBUG = True
    call_command("seed_demo")
    client.post(reverse("account_login"), {"login": "staff@demo.test", "password": "demo-staff"})
    client.post(reverse("mfa_authenticate"), {"code": demo_code()})
    assert "Program administration" in client.get("/admin/").content.decode()


def test_turning_on_the_app_is_confirmed_by_email(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in_with_password(client, learner.email)
    open_app_setup(client)
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})

    [message] = mailoutbox
    assert message.to == [learner.email]
    assert "authenticator" in (message.subject + message.body).lower()
    assert secret not in message.body
    assert message.body.startswith("Hello from How Therapy Works.")


# The first authenticator of an account with staff powers ------------------------------------


def test_a_stolen_staff_password_cannot_set_up_an_authenticator(client, instructor):
    """With the password alone, the thief reaches neither the app's secret nor its setup."""
    sign_in_with_password(client, instructor.email)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    page = client.get(reverse("mfa_activate_totp"))
    assert page["Location"].startswith(reverse("accounts:mfa_setup_code"))
    assert SECRET_SESSION_KEY not in client.session
    client.post(reverse("mfa_activate_totp"), {"code": "123456"})
    assert not Authenticator.objects.filter(user=instructor).exists()
    admin_page = client.get("/admin/qa/question/", follow=True)
    assert admin_page.request["PATH_INFO"] == reverse("accounts:mfa_setup_code")


def test_the_setup_code_goes_to_the_verified_address_and_works_once(
    client, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in_with_password(client, instructor.email)
    url = reverse("accounts:mfa_setup_code")
    assert instructor.email in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    [message] = mailoutbox
    assert message.to == [instructor.email]
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    assert code in message.alternatives[0][0]

    wrong = client.post(url, {"action": "verify", "code": f"{(int(code) + 1) % 10**6:06d}"})
    assert "This code is not right" in wrong.content.decode()
    right = client.post(url, {"action": "verify", "code": code})
    assert right["Location"] == reverse("mfa_activate_totp")

    again = Client()
    sign_in_with_password(again, instructor.email)
    reused = again.post(url, {"action": "verify", "code": code})
    assert reused.status_code == 200  # the code belonged to the other session
    assert again.get(reverse("mfa_activate_totp"))["Location"].startswith(url)


def test_setup_codes_expire_and_allow_few_tries(
    client, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    import time_machine

    sign_in_with_password(client, instructor.email)
    url = reverse("accounts:mfa_setup_code")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    with time_machine.travel(time.time() + 11 * 60):
        expired = client.post(url, {"action": "verify", "code": code})
    assert "expired" in expired.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        client.post(url, {"action": "verify", "code": wrong})
    too_late = client.post(url, {"action": "verify", "code": code})
    assert "This code is not right" in too_late.content.decode()
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(url)


def test_a_staff_account_without_a_verified_address_is_told_what_to_do(client):
    user = factories.make_user("unverified@example.com", role=roles.STAFF, verified=False)
    client.force_login(user)
    page = client.get(reverse("accounts:mfa_setup_code")).content.decode()
    assert "no verified email address" in page
    client.post(reverse("accounts:mfa_setup_code"), {"action": "send"})
    assert not Authenticator.objects.filter(user=user).exists()


def test_learners_set_up_their_app_without_an_emailed_code(client, learner):
    sign_in_with_password(client, learner.email)
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(
        reverse("account_reauthenticate")
    )


def test_turning_off_the_app_is_confirmed_by_email(
    client, learner, mailoutbox, django_capture_on_commit_callbacks
):
    secret = with_app(learner)
    client.force_login(learner)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"))

    [message] = mailoutbox
    assert message.to == [learner.email]
    assert "authenticator" in (message.subject + message.body).lower()
    assert secret not in message.body


def test_a_staff_accounts_new_app_is_confirmed_by_email(
    client, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    sign_in_with_password(client, instructor.email)
    confirm_setup_email(client, mailoutbox, django_capture_on_commit_callbacks)
    open_app_setup(client)
    secret = client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": code_for(secret)})

    notice = mailoutbox[-1]
    assert notice.to == [instructor.email]
    assert "authenticator" in (notice.subject + notice.body).lower()
    assert secret not in notice.body
