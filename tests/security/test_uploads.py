"""Uploads: checked by content, images re-encoded (pixels only), served with the type of their
content, `nosniff` and a sandboxing policy (documents as downloads); private lesson media only
through views that check access."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from lib import uploads
from newsletter.models import Infographic
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

PAYLOAD = b"<html><script>alert(document.cookie)</script></html>"


def image_bytes(fmt: str = "PNG", size=(40, 30), exif: bool = False) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 120, 40))
    extra = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x010E] = "Session room, 12 Elm Street"  # ImageDescription
        extra["exif"] = data
    image.save(out, format=fmt, **extra)
    return out.getvalue()


def download_url() -> str:
    """The signed download link of the (one) infographic, as a confirmed reader gets it."""
    from django.conf import settings

    from newsletter.subscriptions import infographic_url

    return infographic_url(Infographic.objects.get()).removeprefix(settings.SITE_URL)


def upload_infographic(client, name: str, content: bytes):
    return client.post(
        reverse("admin:newsletter_infographic_add"),
        {"title": "One page", "file": SimpleUploadedFile(name, content), "active": "on"},
    )


def test_an_uploaded_image_is_re_encoded_without_metadata_or_hidden_bytes(client_for, staff):
    original = image_bytes("JPEG", exif=True) + PAYLOAD  # a polyglot: JPEG, then HTML
    assert b"PhoneMaker" in original

    response = upload_infographic(client_for(staff), "model.jpg", original)

    assert response.status_code == 302
    stored = Infographic.objects.get().file.read()
    assert PAYLOAD not in stored
    assert b"PhoneMaker" not in stored and b"Elm Street" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (40, 30))
        assert not image.getexif()


def test_an_image_with_a_misleading_name_is_stored_and_served_as_what_it_is(
    client, client_for, staff
):
    upload_infographic(client_for(staff), "page.html", image_bytes("PNG"))

    infographic = Infographic.objects.get()
    assert infographic.file.name.endswith(".png")
    response = client.get(download_url())
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_is_served_as_a_pdf_whatever_its_name(client):
    from newsletter.demo import tiny_pdf

    infographic = Infographic(title="Model")
    infographic.file.save("model.html", ContentFile(tiny_pdf("Model")), save=False)
    infographic.save()
    response = client.get(download_url())
    assert response["Content-Type"] == "application/pdf"


def test_a_damaged_image_gets_a_message_not_a_500(client_for, staff):
    damaged = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    response = upload_infographic(client_for(staff), "model.png", damaged)
    assert response.status_code == 200
    assert "This image could not be read" in response.content.decode()
    assert not Infographic.objects.exists()


def test_an_image_too_large_to_decode_safely_is_refused(client_for, staff):
    huge = image_bytes("PNG", size=(8000, 6000))  # 48 megapixels, a few kilobytes compressed
    assert len(huge) < 500_000
    response = upload_infographic(client_for(staff), "model.png", huge)
    assert "too large" in response.content.decode()
    assert not Infographic.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        PAYLOAD,
        b"MZ\x90\x00 an executable",
    ],
)
def test_svg_html_and_programs_are_refused_everywhere(content):
    for validator in (uploads.image, uploads.document, uploads.audio, uploads.video):
        with pytest.raises(ValidationError):
            validator(SimpleUploadedFile("file.png", content))
    with pytest.raises(ValidationError):
        uploads.reencode_image(SimpleUploadedFile("file.png", content))


def test_lesson_uploads_are_refused_past_their_size_limit(client_for, instructor, course):
    big = uploads.UploadValidator("caption (WebVTT)", ("text/vtt",), 10)
    with pytest.raises(ValidationError, match="at most"):
        big(SimpleUploadedFile("c.vtt", b"WEBVTT\n\n" + b"x" * 20))
    assert uploads.captions.max_bytes == 2 * uploads.MB
    assert uploads.video.max_bytes == 1024 * uploads.MB


# Private media -------------------------------------------------------------------------------


def test_uploads_have_no_public_address_even_in_development():
    """In development (DEBUG=1) nothing is served from /media/: lesson media through
    access-checked views, the infographic by its signed link (newsletter.views.infographic)."""
    code = (
        "import django; django.setup()\n"
        "from django.urls import resolve, Resolver404\n"
        "paths = ['/media/lessons/audio/episode.mp3', '/media/newsletter/infographics/a.pdf']\n"
        "for path in paths:\n"
        "    try:\n"
        "        resolve(path); print('served', path)\n"
        "    except Resolver404:\n"
        "        print('none', path)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split("\n")[:2] == [
        "none /media/lessons/audio/episode.mp3",
        "none /media/newsletter/infographics/a.pdf",
    ], result.stderr


def test_lesson_media_only_through_the_access_checked_view(client_for, learner, outsider, course):
    lesson = factories.make_lesson(course, video_url="")
    lesson.video_file.save("intro.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64))
    url = reverse("lessons:media", args=[course.slug, lesson.slug, "video"])

    assert client_for(None).get(url).status_code == 404
    assert client_for(outsider).get(url).status_code == 404
    response = client_for(learner).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


# Served in a sandbox: nothing uploaded runs script in the site's origin ------------------------

SANDBOX = "sandbox; default-src 'none'"
PDF_WITH_SCRIPT = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"3 0 obj << /S /JavaScript /JS (app.alert(document.cookie)) >> endobj\n%%EOF\n"
)


def assert_sandboxed(response, *, download: bool) -> None:
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response.get("Content-Disposition", "")
    assert disposition.startswith("attachment") == download, disposition


def test_a_pdf_with_javascript_is_a_sandboxed_download(client, client_for, staff):
    assert upload_infographic(client_for(staff), "tift.pdf", PDF_WITH_SCRIPT).status_code == 302

    response = client.get(download_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert_sandboxed(response, download=True)
    assert 'filename="tift.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_WITH_SCRIPT


def test_an_html_file_stored_as_a_pdf_is_a_sandboxed_download_of_unknown_bytes(client):
    infographic = Infographic(title="Model")
    infographic.file.save("model.pdf", ContentFile(PAYLOAD), save=False)
    infographic.save()

    response = client.get(download_url())

    assert response["Content-Type"] == "application/octet-stream"
    assert_sandboxed(response, download=True)


def test_an_image_infographic_is_shown_in_the_browser_but_sandboxed(client, client_for, staff):
    upload_infographic(client_for(staff), "page.png", image_bytes("PNG"))

    response = client.get(download_url())

    assert response["Content-Type"] == "image/png"
    assert_sandboxed(response, download=False)


def test_html_inside_lesson_captions_is_served_as_sandboxed_captions(client_for, learner, course):
    lesson = factories.make_lesson(course, video_url="")
    lesson.video_captions.save("intro.vtt", ContentFile(b"WEBVTT\n\n" + PAYLOAD))
    url = reverse("lessons:media", args=[course.slug, lesson.slug, "captions"])

    response = client_for(learner).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt"
    assert_sandboxed(response, download=False)


def test_podcast_audio_still_streams_ranges_with_its_type_inside_the_sandbox(
    client, client_for, learner, course
):
    from lessons.demo import demo_audio

    lesson = factories.make_lesson(course)
    lesson.podcast_file.save("episode.wav", ContentFile(demo_audio()))
    feed = reverse("lessons:podcast_audio", kwargs={"token": learner.feed_token, "pk": lesson.pk})
    page = reverse("lessons:media", args=[course.slug, lesson.slug, "audio"])

    for response in (
        client.get(feed, HTTP_RANGE="bytes=0-9"),
        client_for(learner).get(page, HTTP_RANGE="bytes=0-9"),
    ):
        assert response.status_code == 206
        assert response["Content-Type"] == "audio/wav"
        assert response["Content-Range"].startswith("bytes 0-9/")
        assert_sandboxed(response, download=False)
