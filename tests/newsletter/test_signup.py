"""Signing up: double opt-in with a signed, expiring link; re-signing up reveals nothing."""

import re

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from newsletter import demo, subscriptions
from newsletter.models import Infographic, Subscriber

pytestmark = pytest.mark.django_db


def confirm_link(message) -> str:
    return re.search(r"http://\S+/newsletter/confirm/\S+/", message.body).group(0)


def signup(client, django_capture_on_commit_callbacks, email="reader@example.com", **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("newsletter:signup"), {"email": email, **data})


def test_visitor_sees_the_signup_form_on_the_archive(client):
    response = client.get(reverse("newsletter:archive"))

    assert response.status_code == 200
    assert 'action="/newsletter/signup/"' in response.content.decode()


def test_visitor_sees_the_signup_form_on_the_home_page(client):
    response = client.get("/")

    assert response.status_code == 200
    assert 'action="/newsletter/signup/"' in response.content.decode()


def test_signup_creates_a_pending_reader_and_sends_a_confirmation_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks, "Reader@Example.com", name="Ria")

    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:check_email")
    reader = Subscriber.objects.get()
    assert (reader.email, reader.name, reader.status) == ("reader@example.com", "Ria", "pending")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["reader@example.com"]
    assert confirm_link(mailoutbox[0])
    assert mailoutbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_confirming_link_shows_a_button_and_a_get_confirms_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    link = confirm_link(mailoutbox[0]).replace("http://127.0.0.1:8000", "")

    response = client.get(link)

    assert response.status_code == 200
    assert "Confirm" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert Subscriber.objects.get().status == "pending"


def test_confirming_makes_the_reader_confirmed_and_sends_the_welcome_with_infographic(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    Infographic.objects.create(
        title="The model on one page", file=ContentFile(demo.tiny_pdf("x"), name="model.pdf")
    )
    signup(client, django_capture_on_commit_callbacks)
    link = confirm_link(mailoutbox[0]).replace("http://127.0.0.1:8000", "")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, follow=True)

    assert response.redirect_chain[-1][0] == reverse("newsletter:thanks")
    assert "you're subscribed" in response.content.decode()
    assert Subscriber.objects.get().status == "confirmed"
    welcome = mailoutbox[-1]
    assert welcome.subject.startswith("Welcome to TIFT")
    gift = re.search(r"http://\S+/newsletter/infographic/\S+/", welcome.body).group(0)
    assert "List-Unsubscribe" in welcome.extra_headers
    download = client.get(gift.replace("http://127.0.0.1:8000", ""))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_confirming_twice_sends_one_welcome(client, mailoutbox, django_capture_on_commit_callbacks):
    signup(client, django_capture_on_commit_callbacks)
    link = confirm_link(mailoutbox[0]).replace("http://127.0.0.1:8000", "")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link)
        client.post(link)

    assert [m.subject.startswith("Welcome") for m in mailoutbox] == [False, True]


def test_an_expired_link_confirms_nothing(client, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel("2027-01-01 09:00Z", tick=False):
        signup(client, django_capture_on_commit_callbacks)
    link = confirm_link(mailoutbox[0]).replace("http://127.0.0.1:8000", "")

    with time_machine.travel("2027-01-09 09:00Z", tick=False):
        response = client.post(link)

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


def test_a_link_within_its_lifetime_still_works(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel("2027-01-01 09:00Z", tick=False):
        signup(client, django_capture_on_commit_callbacks)
    link = confirm_link(mailoutbox[0]).replace("http://127.0.0.1:8000", "")

    with time_machine.travel("2027-01-07 09:00Z", tick=False):
        response = client.post(link)

    assert response.status_code == 302
    assert Subscriber.objects.get().status == "confirmed"


def test_a_forged_token_confirms_nothing(client, make_reader):
    make_reader("reader@example.com", status="pending")
    forged = "eyJzIjoxfQ:1tAAAA:" + "forgedsignature".ljust(43, "x")

    response = client.post(reverse("newsletter:confirm", args=[forged]))

    assert response.status_code == 400
    assert "does not work" in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


@pytest.mark.parametrize("token", ["garbage", "eyJzIjoxfQ:1tAAAA:forgedsignature", "a" * 300])
def test_a_malformed_token_is_404_and_confirms_nothing(client, make_reader, token):
    make_reader("reader@example.com", status="pending")

    assert client.post(f"/newsletter/confirm/{token}/").status_code == 404
    assert Subscriber.objects.get().status == "pending"


def test_a_token_signed_for_another_purpose_confirms_nothing(client, make_reader):
    from django.core import signing

    reader = make_reader("reader@example.com", status="pending")
    token = signing.dumps({"s": reader.pk, "e": reader.email}, salt="something.else")

    assert client.post(reverse("newsletter:confirm", args=[token])).status_code == 400
    assert Subscriber.objects.get().status == "pending"


def test_a_token_for_an_address_since_changed_confirms_nothing(client, make_reader):
    reader = make_reader("old@example.com", status="pending")
    token = subscriptions.confirmation_token(reader)
    Subscriber.objects.filter(pk=reader.pk).update(email="new@example.com")

    assert client.post(reverse("newsletter:confirm", args=[token])).status_code == 400


def test_signing_up_again_with_a_confirmed_address_changes_and_reveals_nothing(
    client, make_reader, mailoutbox, django_capture_on_commit_callbacks
):
    reader = make_reader("known@example.com", name="Kim")
    fresh = signup(client, django_capture_on_commit_callbacks, "new@example.com")
    mailoutbox.clear()

    again = signup(client, django_capture_on_commit_callbacks, "KNOWN@example.com", name="X")

    assert (again.status_code, again["Location"]) == (fresh.status_code, fresh["Location"])
    assert mailoutbox == []
    reader.refresh_from_db()
    assert (reader.status, reader.name, reader.confirmed_at) == ("confirmed", "Kim", None)


def test_an_unsubscribed_reader_who_signs_up_again_must_confirm_again(
    client, make_reader, mailoutbox, django_capture_on_commit_callbacks
):
    make_reader("back@example.com", status="unsubscribed")

    signup(client, django_capture_on_commit_callbacks, "back@example.com")

    assert Subscriber.objects.get().status == "pending"
    assert len(mailoutbox) == 1


def test_a_confirmation_link_from_before_an_unsubscribe_confirms_nothing_after_a_new_signup(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    old_link = confirm_link(mailoutbox[-1]).replace("http://127.0.0.1:8000", "")
    client.post(old_link)
    reader = Subscriber.objects.get()
    client.post(reverse("newsletter:one_click", args=[reader.token]))
    signup(client, django_capture_on_commit_callbacks)  # someone signs the address up again
    new_link = confirm_link(mailoutbox[-1]).replace("http://127.0.0.1:8000", "")

    response = client.post(old_link)

    assert response.status_code == 400
    assert "does not work" in response.content.decode()
    assert Subscriber.objects.get().status == "pending"
    assert client.post(new_link).status_code == 302
    assert Subscriber.objects.get().status == "confirmed"


def test_a_link_unconfirmed_before_an_unsubscribe_confirms_nothing_after_a_new_signup(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    old_link = confirm_link(mailoutbox[-1]).replace("http://127.0.0.1:8000", "")
    reader = Subscriber.objects.get()
    client.post(reverse("newsletter:unsubscribe", args=[reader.token]))  # from that very email
    signup(client, django_capture_on_commit_callbacks)

    assert client.post(old_link).status_code == 400
    assert Subscriber.objects.get().status == "pending"


def test_a_link_sent_again_to_a_pending_reader_leaves_the_first_link_working(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    first = confirm_link(mailoutbox[-1]).replace("http://127.0.0.1:8000", "")
    signup(client, django_capture_on_commit_callbacks)

    assert client.post(first).status_code == 302
    assert Subscriber.objects.get().status == "confirmed"


def test_a_link_sent_before_sign_up_rounds_existed_still_confirms(client, make_reader):
    from django.core import signing

    reader = make_reader("early@example.com", status="pending")
    token = signing.dumps({"s": reader.pk, "e": reader.email}, salt=subscriptions.CONFIRM_SALT)

    assert client.post(reverse("newsletter:confirm", args=[token])).status_code == 302
    assert Subscriber.objects.get().status == "confirmed"


def test_an_invalid_address_shows_the_error_next_to_the_field(client):
    response = client.post(reverse("newsletter:signup"), {"email": "not-an-address"})

    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_signups_are_rate_limited_by_address_without_revealing_it(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    responses = [signup(client, django_capture_on_commit_callbacks) for _ in range(5)]

    assert {r.status_code for r in responses} == {302}
    assert len(mailoutbox) == services_limit()


def services_limit() -> int:
    from newsletter.views import SIGNUPS_PER_EMAIL

    return SIGNUPS_PER_EMAIL


def test_signups_are_rate_limited_by_ip(client, django_capture_on_commit_callbacks):
    from newsletter.views import SIGNUPS_PER_IP

    for n in range(SIGNUPS_PER_IP):
        assert (
            signup(client, django_capture_on_commit_callbacks, f"p{n}@example.com").status_code
            == 302
        )

    response = signup(client, django_capture_on_commit_callbacks, "one.more@example.com")

    assert response.status_code == 429
    assert not Subscriber.objects.filter(email="one.more@example.com").exists()


def test_signup_page_answers_get_with_the_form(client):
    response = client.get(reverse("newsletter:signup"))

    assert response.status_code == 200
    assert "Email address" in response.content.decode()


def test_check_email_page_says_the_same_for_everyone(client):
    response = client.get(reverse("newsletter:check_email"))

    assert "If this address is new to us" in response.content.decode()
