"""The shared topic modules in lib/."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse

from lib import identifiers, ratelimit, sanitize, uploads


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "<svg><script>alert(1)</script></svg>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<iframe src='https://evil.example'></iframe>",
    ],
)
def test_clean_html_removes_script_vectors(html):
    cleaned = sanitize.clean_html(html).lower()
    assert "<script" not in cleaned
    assert "javascript:" not in cleaned
    assert "onerror" not in cleaned
    assert "<iframe" not in cleaned
    assert "style=" not in cleaned


def test_clean_html_keeps_reading_markup():
    html = '<h2>Title</h2><p>A <strong>b</strong> <a href="https://x.org">link</a></p><ul><li>i</li></ul>'
    cleaned = sanitize.clean_html(html)
    assert "<h2>Title</h2>" in cleaned
    assert 'href="https://x.org"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("I saw Mrs. Alvarez today", "name"),
        ("call 617-555-0134", "phone"),
        ("write to pat@example.org", "email"),
        ("on 04/12/2026 she said", "date"),
        ("born March 3, 1941", "date"),
        ("a 93-year-old man", "age"),
        ("client aged 91", "age"),
    ],
)
def test_identifier_check_flags(text, kind):
    assert kind in {f.kind for f in identifiers.find_identifiers(text)}


@pytest.mark.parametrize(
    "text",
    ["a client in her 40s", "my client is 34 years old", "we met 10 times in 12 weeks", "Dr. said"],
)
def test_identifier_check_stays_quiet_on_ordinary_text(text):
    assert identifiers.find_identifiers(text) == []


def test_identifier_summary_does_not_repeat_the_text():
    found = identifiers.find_identifiers("Mr. Smith, 617-555-0134")
    message = identifiers.summary(found)
    assert "Smith" not in message and "617" not in message
    assert "a name with a title" in message and "a phone number" in message


def test_ratelimit_allows_up_to_the_limit_then_refuses():
    from django.core.cache import cache

    cache.clear()
    results = [ratelimit.allow("t:1", limit=3, period=60) for _ in range(5)]
    assert results == [True, True, True, False, False]
    assert ratelimit.allow("t:2", limit=3, period=60)


def test_ratelimit_lets_requests_through_when_a_cache_ignores_errors_and_keeps_no_counts(
    settings,
):
    # lib.cache keeps counts in memory while Redis is down (tests/test_redis_outage.py);
    # django-redis alone answers None to everything.
    from config.settings import redis_cache

    settings.CACHES = {
        "default": {
            **redis_cache("redis://127.0.0.1:1/0"),
            "BACKEND": "django_redis.cache.RedisCache",
        }
    }
    assert [ratelimit.allow("t:1", limit=1, period=60) for _ in range(3)] == [True, True, True]


def test_client_ip_uses_the_last_forwarded_hop_only_behind_a_proxy(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.9", REMOTE_ADDR="127.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert ratelimit.client_ip(request) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert ratelimit.client_ip(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 2
    assert ratelimit.client_ip(request) == "6.6.6.6"


@pytest.mark.parametrize("hop", ["junk", "1.2.3.4\x00", "fe80::1%\x00", "9" * 10_000, "::1 x"])
def test_client_ip_ignores_a_forwarded_hop_that_is_not_an_address(rf, settings, hop):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {hop}", REMOTE_ADDR="10.0.0.2")

    assert ratelimit.client_ip(request) == "10.0.0.2"


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
MP3 = b"ID3\x03\x00" + b"\0" * 100


def test_upload_accepts_by_content():
    uploads.image(SimpleUploadedFile("photo.bin", PNG))
    uploads.audio(SimpleUploadedFile("episode.dat", MP3))
    uploads.captions(SimpleUploadedFile("c.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"))


@pytest.mark.parametrize(
    ("validator", "content"),
    [
        (uploads.image, b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        (uploads.image, b"<html><script>alert(1)</script></html>"),
        (uploads.audio, PNG),
        (uploads.document, b"MZ\x90\x00 an executable"),
    ],
)
def test_upload_refuses_other_content_even_with_a_good_name(validator, content):
    with pytest.raises(ValidationError):
        validator(SimpleUploadedFile("innocent.png", content))


def test_upload_refuses_oversized_files():
    small = uploads.UploadValidator("image", ("image/png",), 50)
    with pytest.raises(ValidationError, match="at most"):
        small(SimpleUploadedFile("big.png", PNG))


def test_upload_validation_leaves_the_file_readable():
    f = SimpleUploadedFile("p.png", PNG)
    uploads.image(f)
    assert f.read() == PNG
    assert isinstance(io.BytesIO(PNG).read(4), bytes)


# lib.templatetags.htw.form_fields ----------------------------------------------------------


def test_a_blank_form_renders_as_the_shared_fields_template_does():
    from django.template.loader import render_to_string

    from forum.forms import ComposerForm
    from lib.templatetags.htw import form_fields

    expected = render_to_string("_form_fields.html", {"form": ComposerForm()})
    assert form_fields(ComposerForm()) == expected
    assert form_fields(ComposerForm()) == expected


def test_bound_forms_and_initial_values_never_render_as_the_blank_form():
    from forum.forms import ComposerForm
    from lib.templatetags.htw import form_fields

    blank = form_fields(ComposerForm())

    invalid = form_fields(ComposerForm({"body": "", "format": "markdown"}))
    assert "field-invalid" in invalid and "field-invalid" not in blank
    assert "My own words" in form_fields(ComposerForm({"body": "My own words", "format": "plain"}))
    assert "&gt; A quoted line" in form_fields(ComposerForm(initial={"body": "> A quoted line"}))
    assert form_fields(ComposerForm(prefix="other")) != blank


# lib.staticfiles: hashed static URLs looked up once per process -----------------------------


def test_static_urls_are_the_manifests_and_missing_files_always_raise(tmp_path, settings):
    import json

    from lib.staticfiles import StaticFilesStorage

    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.abc123.css"}})
    )
    storage = StaticFilesStorage(location=str(tmp_path), base_url="/static/")

    assert storage.url("css/site.css") == "/static/css/site.abc123.css"
    assert storage.url("css/site.css") == "/static/css/site.abc123.css"
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/missing.css")


def test_token_urls_accept_every_kind_of_token_the_site_makes(db):
    from accounts.models import new_feed_token
    from courses.models import new_offer_token
    from forum.notifications import unsubscribe_token
    from newsletter.models import Subscriber, new_subscriber_token
    from newsletter.subscriptions import confirmation_token

    # The longest address a reader may have makes the longest confirmation token.
    reader = Subscriber.objects.create(email="x" * 242 + "@example.com")
    urls = [
        ("lessons:podcast_feed", new_feed_token()),
        ("zoomgroups:feed", new_feed_token()),
        ("courses:offer", new_offer_token()),
        ("newsletter:unsubscribe", new_subscriber_token()),
        ("newsletter:confirm", confirmation_token(reader)),
        ("forum:email_unsubscribe", unsubscribe_token(2**31, 2**31)),
        ("forum:email_unsubscribe", unsubscribe_token(1)),  # compressed: starts with "."
    ]

    for name, token in urls:
        assert resolve(reverse(name, args=[token])).kwargs["token"] == token


@pytest.mark.parametrize(
    "token",
    [
        "a\x00" * 16,
        "x" * 31,
        "x" * 65,
        "é" * 32,
        "x" * 20 + "%00" + "x" * 20,
        "x" * 16 + "/" + "x" * 16,
    ],
)
def test_a_random_token_url_matches_only_the_token_alphabet_and_length(token):
    with pytest.raises(Resolver404):
        resolve(f"/offer/{token}/")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJ1IjoxfQ:1xa95r:" + "x" * 42,
        "eyJ1IjoxfQ:1xa95r:" + "x" * 44,
        "eyJ1Ijo\x00xfQ:1xa95r:" + "x" * 43,
        "eyJ1IjoxfQ:1xa95r:" + "x" * 42 + "é",
        "x" * 1001 + ":1xa95r:" + "x" * 43,
    ],
)
def test_a_signed_token_url_matches_only_the_signed_format(token):
    with pytest.raises(Resolver404):
        resolve(f"/forum/unsubscribe/{token}/")
