"""Private media in an S3-compatible bucket (FILE_STORAGE=s3, issue 27), against a real S3 server
on loopback (moto's, with a private bucket's refusals: tests/s3server.py).

Uploads become private objects; the access-checked views answer with a redirect to a signed
link that expires, and the bucket answers byte ranges itself. A missing object is a 404 and a
bucket that does not answer a 503, never a 500. Captions and the newsletter infographic are
served from the site's own URL.
"""

import datetime as dt
import logging
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse

from config.env import s3_storage
from courses.models import Enrollment
from lessons.demo import demo_audio
from newsletter import demo, subscriptions
from newsletter.models import Infographic
from tests import factories, s3server

s3 = s3server.s3  # the fixture: the S3 server on loopback

pytestmark = pytest.mark.django_db
AUDIO = demo_audio()
SIGNED_URL_SECONDS = 300
CAPTIONS = b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello"


@pytest.fixture
def bucket(s3, settings):
    """A fresh private bucket as the default storage; yields (boto3 client, bucket name)."""
    name = f"htw-{uuid.uuid4().hex[:12]}"
    client = s3server.client(s3.endpoint)
    client.create_bucket(Bucket=name)
    settings.MEDIA_SIGNED_URL_SECONDS = SIGNED_URL_SECONDS
    settings.STORAGES = {**settings.STORAGES, "default": storage_options(name, s3.endpoint)}
    return client, name


def storage_options(name: str, endpoint: str) -> dict:
    return s3_storage(
        name,
        signed_url_seconds=SIGNED_URL_SECONDS,
        endpoint_url=endpoint,
        region_name=s3server.REGION,
        access_key=s3server.ACCESS_KEY,
        secret_key=s3server.SECRET_KEY,
        addressing_style="path",
    )


def fetch(url: str, *, method: str = "GET", **headers: str):
    """(status, headers, body) of a request straight to the bucket, as a browser would."""
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture
def lesson(course, bucket):
    lesson = factories.make_lesson(course, video_url="")
    lesson.podcast_file.save("episode.wav", ContentFile(AUDIO))
    lesson.video_captions.save("intro.vtt", ContentFile(CAPTIONS))
    return lesson


def media_url(lesson, kind: str) -> str:
    kwargs = {"course_slug": lesson.course.slug, "slug": lesson.slug, "kind": kind}
    return reverse("lessons:media", kwargs=kwargs)


def test_an_upload_is_a_private_object_nobody_reaches_without_a_signed_link(bucket, lesson, s3):
    client, name = bucket
    key = lesson.podcast_file.name

    stored = client.get_object(Bucket=name, Key=key)["Body"].read()
    grants = client.get_object_acl(Bucket=name, Key=key)["Grants"]
    status, _, body = fetch(f"{s3.endpoint}/{name}/{key}")

    assert stored == AUDIO
    assert all("AllUsers" not in str(grant["Grantee"]) for grant in grants)
    assert status == 403 and b"AccessDenied" in body


def test_a_learner_is_sent_to_a_short_lived_link_that_answers_ranges(client_for, learner, lesson):
    response = client_for(learner).get(media_url(lesson, "audio"))

    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    link = response["Location"]
    query = parse_qs(urlparse(link).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    status, headers, body = fetch(link, Range="bytes=100-199")
    assert status == 206
    assert headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert body == AUDIO[100:200]
    assert headers["Content-Type"] == "audio/wav"
    whole = fetch(link)
    assert whole[0] == 200 and whole[2] == AUDIO


def test_podcast_apps_follow_the_redirect_with_head_and_ranges(client, learner, lesson):
    url = reverse("lessons:podcast_audio", kwargs={"token": learner.feed_token, "pk": lesson.pk})

    head = client.head(url)
    get = client.get(url, HTTP_RANGE="bytes=-10")

    assert head.status_code == 302 and get.status_code == 302
    status, headers, body = fetch(head["Location"], method="HEAD")
    assert status == 200 and headers["Content-Length"] == str(len(AUDIO))
    status, headers, body = fetch(get["Location"], Range="bytes=-10")
    assert status == 206 and body == AUDIO[-10:]


def test_the_check_comes_before_any_link(client_for, outsider, lesson):
    outsider_answer = client_for(outsider).get(media_url(lesson, "audio"))
    feed = reverse("lessons:podcast_audio", kwargs={"token": "x" * 43, "pk": lesson.pk})
    stranger_answer = client_for(None).get(feed)

    assert outsider_answer.status_code == 404 and stranger_answer.status_code == 404
    assert "Location" not in outsider_answer and "Location" not in stranger_answer


def test_an_expired_link_is_refused_and_the_view_makes_a_new_one_while_access_lasts(
    client_for, learner, lesson
):
    c = client_for(learner)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=True) as clock:
        old = c.get(media_url(lesson, "audio"))["Location"]
        clock.shift(dt.timedelta(seconds=301))

        refused = fetch(old)
        fresh = c.get(media_url(lesson, "audio"))["Location"]
        renewed = fetch(fresh)
        Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.CANCELLED)
        revoked = c.get(media_url(lesson, "audio"))

    assert refused[0] == 403 and b"Request has expired" in refused[2]
    assert renewed[0] == 200 and renewed[2] == AUDIO
    assert revoked.status_code != 302


def test_a_missing_object_is_404_not_500(client_for, learner, lesson, bucket):
    client, name = bucket
    client.delete_object(Bucket=name, Key=lesson.podcast_file.name)
    client.delete_object(Bucket=name, Key=lesson.video_captions.name)
    c = client_for(learner)

    assert c.get(media_url(lesson, "audio")).status_code == 404
    assert c.get(media_url(lesson, "captions")).status_code == 404


def test_a_bucket_that_does_not_answer_is_503_and_logged(
    client_for, learner, lesson, settings, monkeypatch, caplog
):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    unreachable = storage_options(settings.STORAGES["default"]["OPTIONS"]["bucket_name"], "")
    unreachable["OPTIONS"]["endpoint_url"] = "http://127.0.0.1:9"  # discard: nothing listens
    settings.STORAGES = {**settings.STORAGES, "default": unreachable}

    with caplog.at_level(logging.ERROR, logger="lib.uploads"):
        response = client_for(learner).get(media_url(lesson, "audio"))

    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "The media bucket did not answer" in caplog.text


def test_captions_are_served_from_our_origin(client_for, learner, lesson):
    response = client_for(learner).get(media_url(lesson, "captions"), HTTP_RANGE="bytes=0-5")

    assert response.status_code == 206
    assert response["Content-Type"] == "text/vtt"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == b"WEBVTT"


def test_the_newsletter_infographic_keeps_its_public_url(client, bucket):
    client_s3, name = bucket
    gift = Infographic.objects.create(
        title="The model on one page", file=ContentFile(demo.tiny_pdf("x"), name="model.pdf")
    )
    url = subscriptions.infographic_url(gift)
    path = urlparse(url).path

    response = client.get(path)

    assert path.startswith("/newsletter/infographic/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client_s3.delete_object(Bucket=name, Key=gift.file.name)
    assert client.get(path).status_code == 404
