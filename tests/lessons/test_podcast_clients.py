"""The podcast feed and audio as podcast apps read them (issue 24, point 10): guids that never
change, each episode's own date, revalidation with ETag/Last-Modified, formats apps play."""

import datetime as dt
import email.utils
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lessons.demo import demo_audio
from lessons.models import Lesson
from tests import factories

pytestmark = pytest.mark.django_db
AUDIO = demo_audio()
MP3 = b"ID3\x03\x00" + b"\x00" * 60
M4A = b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 60


def with_audio(course, **fields):
    lesson = factories.make_lesson(course, **fields)
    lesson.podcast_file.save("episode.mp3", ContentFile(AUDIO))
    return lesson


def feed_items(client, user) -> list:
    response = client.get(reverse("lessons:podcast_feed", kwargs={"token": user.feed_token}))
    assert response.status_code == 200
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 - our own feed
    return channel.findall("item")


def test_guids_stay_the_same_when_the_domain_and_scheme_change(client, learner, course, settings):
    lessons = [with_audio(course, order=1), with_audio(course, order=2)]
    settings.SITE_URL = "http://127.0.0.1:8000"
    before = {item.find("guid").text for item in feed_items(client, learner)}
    settings.SITE_URL = "https://learn.howtherapyworks.com"
    items = feed_items(client, learner)
    after = {item.find("guid").text for item in items}

    assert before == after
    assert after == {
        f"https://howtherapyworks.com/lessons/{lesson.pk}/podcast" for lesson in lessons
    }
    assert all(item.find("guid").get("isPermaLink") == "false" for item in items)
    # The links themselves follow the address the feed was asked on.
    assert all(item.find("link").text.startswith("http://testserver/") for item in items)


def test_a_site_that_published_before_keeps_its_guids(client, learner, course, settings):
    lesson = with_audio(course)
    settings.STABLE_ID_DOMAIN = "learn.example.com"  # its SITE_URL host of then
    (item,) = feed_items(client, learner)
    assert item.find("guid").text == f"https://learn.example.com/lessons/{lesson.pk}/podcast"


def test_each_episode_has_its_own_publication_date(client, learner, course):
    first = with_audio(course, order=1, title="First")
    second = with_audio(course, order=2, title="Second")
    Lesson.objects.filter(pk=first.pk).update(
        podcast_published_at=dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)
    )
    Lesson.objects.filter(pk=second.pk).update(
        podcast_published_at=dt.datetime(2026, 9, 8, 9, 0, tzinfo=dt.UTC)
    )

    dates = [
        email.utils.parsedate_to_datetime(item.find("pubDate").text)
        for item in feed_items(client, learner)
    ]
    assert dates == [
        dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 9, 8, 9, 0, tzinfo=dt.UTC),
    ]


def test_publication_date_is_set_when_audio_is_first_added(course):
    lesson = factories.make_lesson(course)
    assert lesson.podcast_published_at is None
    lesson.podcast_url = "https://cdn.example.com/a.mp3"
    lesson.save()
    published = lesson.podcast_published_at
    assert published is not None
    lesson.title = "Renamed"
    lesson.save()
    assert Lesson.objects.get(pk=lesson.pk).podcast_published_at == published


def test_audio_revalidates_with_etag_and_last_modified(client, learner, course):
    lesson = with_audio(course)
    url = reverse("lessons:podcast_audio", kwargs={"token": learner.feed_token, "pk": lesson.pk})

    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    b"".join(first.streaming_content)

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.head(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200

    # Resuming: a range for this very file is honoured, one for an older file is not.
    resumed = client.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206
    assert b"".join(resumed.streaming_content) == AUDIO[10:20]
    stale = client.get(url, HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"an-old-file"')
    assert stale.status_code == 200
    assert b"".join(stale.streaming_content) == AUDIO


def test_a_replaced_file_gets_a_new_etag(client, learner, course):
    lesson = with_audio(course)
    url = reverse("lessons:podcast_audio", kwargs={"token": learner.feed_token, "pk": lesson.pk})
    etag = client.get(url)["ETag"]
    lesson.podcast_file.save("episode.mp3", ContentFile(AUDIO + b"\x00" * 10))

    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


@pytest.mark.parametrize(
    ("name", "content", "accepted"),
    [
        ("episode.mp3", MP3, True),
        ("episode.m4a", M4A, True),
        ("episode.wav", AUDIO, False),
        ("episode.ogg", b"OggS" + b"\x00" * 60, False),
        ("episode.aac", b"\xff\xf1\x50\x80" + b"\x00" * 60, False),  # raw ADTS AAC
        ("episode.mp3", AUDIO, False),  # a WAV named .mp3
    ],
)
def test_admin_accepts_only_mp3_and_m4a_podcasts(
    client_for, instructor, course, name, content, accepted
):
    response = client_for(instructor).post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": course.pk,
            "order": 1,
            "title": "Upload",
            "slug": "upload",
            "chapter": "<p>x</p>",
            "podcast_file": SimpleUploadedFile(name, content),
            "podcast_bytes": 0,
        },
    )
    if accepted:
        assert response.status_code == 302
        assert Lesson.objects.get(slug="upload").podcast_file
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert "This is not a podcast audio file we accept (MP3 or M4A (AAC))." in page
        assert not Lesson.objects.filter(slug="upload").exists()
