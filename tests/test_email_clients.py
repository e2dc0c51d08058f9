"""Every email as mail clients read it (issue 24, point 10): parsed with Python's email
parser, each has a plain-text and an HTML part, the HTML a whole document with a <head>, a
<title> and a charset, and a Reply-To a person reads."""

import re
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from lib import email as site_email

pytestmark = pytest.mark.django_db

NAMES = sorted(
    path.name.removesuffix(".subject.txt")
    for path in (settings.BASE_DIR / "templates" / "emails").glob("*.subject.txt")
)


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.charset = ""
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_title = tag == "title"
        if tag == "meta" and dict(attrs).get("charset"):
            self.charset = dict(attrs)["charset"]

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def check_as_a_client_reads_it(message) -> str:
    """Parse the sent bytes; return the HTML part's text after checking it."""
    parsed = BytesParser(policy=policy.default).parsebytes(message.message().as_bytes())
    assert parsed["Reply-To"] == settings.EMAIL_REPLY_TO
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert html.get_content_charset() == "utf-8"
    content = html.get_content()
    head = Head()
    head.feed(content)
    assert content.lstrip().lower().startswith("<!doctype html>")
    assert head.tags[:2] == ["html", "head"], head.tags[:5]
    assert head.charset.lower() == "utf-8"
    assert " ".join(head.title.split()), "an empty <title>"
    return content


@pytest.mark.parametrize("name", NAMES)
def test_every_template_email_parses_with_a_whole_html_part(name):
    site_email.send_now(name, ["reader@example.com"], {"name": "Dana"})
    [message] = mail.outbox
    check_as_a_client_reads_it(message)


def test_allauth_signup_email_has_an_html_part_and_names_the_site(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "email": "reader@example.com",
                "password1": "a long calm passphrase",
                "password2": "a long calm passphrase",
                "display_name": "Reader",
                "time_zone": "Europe/London",
            },
        )
    [message] = mailoutbox
    html = check_as_a_client_reads_it(message)
    assert "register an account on How Therapy Works" in html
    assert "<title>Please Confirm Your Email Address</title>" in html
    # The confirmation link is clickable in the HTML part.
    assert re.search(r'<a href="http://testserver/accounts/confirm-email/[^"]+"', html)


def test_a_message_with_its_own_reply_to_keeps_it(settings):
    message = site_email.build_message(
        subject="Hi", text="Hello", to=["a@example.com"], headers={"Reply-To": "x@example.com"}
    )
    parsed = BytesParser(policy=policy.default).parsebytes(message.message().as_bytes())
    assert parsed["Reply-To"] == "x@example.com"
    settings.EMAIL_REPLY_TO = ""
    message = site_email.build_message(subject="Hi", text="Hello", to=["a@example.com"])
    assert "Reply-To" not in message.message()


def test_html_without_a_head_gets_one_and_text_is_escaped():
    html = site_email.html_document('<html lang="en"><body><p>Hi</p></body></html>', "", "A & B")
    assert html.startswith('<html lang="en"><head><meta charset="utf-8"><title>A &amp; B')
    made = site_email.html_document("", "<script>x</script> https://example.com/a", "S")
    assert "<script>" not in made and "&lt;script&gt;" in made
    assert '<a href="https://example.com/a"' in made
