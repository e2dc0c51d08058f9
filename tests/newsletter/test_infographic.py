"""The free infographic is the welcome gift: a signed link that expires, in the welcome email
and on the confirmed page of whoever confirmed; no link, no file."""

import re

import pytest
import time_machine
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse

from newsletter import demo, subscriptions
from newsletter.models import Infographic

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


@pytest.fixture
def infographic() -> Infographic:
    return Infographic.objects.create(
        title="The model on one page", file=ContentFile(demo.tiny_pdf("x"), name="model.pdf")
    )


def link_in(text: str) -> str:
    """The path of the signed download link in a page or an email."""
    return re.search(r"(?<!admin)/newsletter/infographic/[\w.:-]+:[\w-]{43}/", text).group(0)


def test_the_signed_link_downloads_the_file(client, infographic):
    url = subscriptions.infographic_url(infographic).removeprefix(SITE)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "forge",
    [
        lambda pk: signing.dumps(pk, salt="something.else"),  # signed for another purpose
        lambda pk: signing.dumps({"s": pk, "e": "r@example.com"}, salt=subscriptions.CONFIRM_SALT),
        lambda pk: signing.dumps(pk).split(":", 1)[0] + ":1tAAAA:" + "forged".ljust(43, "x"),
        lambda pk: f"{pk}",
    ],
    ids=["another-purpose", "confirmation-token", "forged-signature", "bare-id"],
)
def test_a_link_without_a_valid_signature_is_404(client, infographic, forge):
    assert client.get(f"/newsletter/infographic/{forge(infographic.pk)}/").status_code == 404


def test_the_link_expires(client, infographic, settings):
    settings.NEWSLETTER_INFOGRAPHIC_DAYS = 30
    with time_machine.travel("2027-01-01 09:00Z", tick=False):
        url = subscriptions.infographic_url(infographic).removeprefix(SITE)

    with time_machine.travel("2027-01-30 09:00Z", tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel("2027-02-01 09:00Z", tick=False):
        assert client.get(url).status_code == 404


def test_a_link_to_a_deleted_infographic_is_404(client, infographic):
    url = subscriptions.infographic_url(infographic).removeprefix(SITE)
    infographic.delete()

    assert client.get(url).status_code == 404


def test_the_confirmed_page_offers_no_link_to_a_passer_by(client, infographic):
    response = client.get(reverse("newsletter:thanks"))

    assert response.status_code == 200
    assert "/newsletter/infographic/" not in response.content.decode()


def test_the_confirmed_page_offers_the_link_to_whoever_confirmed(
    client, make_reader, infographic, django_capture_on_commit_callbacks
):
    reader = make_reader("new@example.com", status="pending")
    confirm = reverse("newsletter:confirm", args=[subscriptions.confirmation_token(reader)])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, follow=True)

    page = response.content.decode()
    assert "The model on one page" in page
    assert "no-store" in response["Cache-Control"]
    download = client.get(link_in(page))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_staff_download_it_from_the_admin_by_a_signed_link(client_for, staff, infographic):
    from tests.security.world import pass_mfa

    client = client_for(staff)
    pass_mfa(client, staff)
    page = client.get(reverse("admin:newsletter_infographic_changelist")).content.decode()

    assert client.get(link_in(page)).status_code == 200


def test_a_welcome_link_from_the_profile_works_too(
    client_for, learner, infographic, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(learner).post(
            reverse("newsletter:profile_subscription"), {"action": "subscribe"}
        )

    (welcome,) = mailoutbox
    assert "30 days" in welcome.body
    assert client_for(None).get(link_in(welcome.body)).status_code == 200
