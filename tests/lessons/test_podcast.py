"""The private podcast feed, its token-checked audio, and range requests."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from courses.models import Enrollment
from lessons.demo import demo_audio
from tests import factories

pytestmark = pytest.mark.django_db
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
AUDIO = demo_audio()


def with_audio(course, **fields):
    lesson = factories.make_lesson(course, podcast_duration=dt.timedelta(minutes=42), **fields)
    lesson.podcast_file.save("episode.wav", ContentFile(AUDIO))
    return lesson


@pytest.fixture
def episode(course):
    return with_audio(course, title="Change mechanisms", order=4)


def feed_url(user) -> str:
    return reverse("lessons:podcast_feed", kwargs={"token": user.feed_token})


def audio_url(user, lesson) -> str:
    return reverse("lessons:podcast_audio", kwargs={"token": user.feed_token, "pk": lesson.pk})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_learner_feed_lists_their_episodes_with_itunes_tags(client, learner, episode):
    response = client.get(feed_url(learner))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 - our own feed
    assert channel.find(f"{ITUNES}author").text == "How Therapy Works"
    assert channel.find(f"{ITUNES}image").get("href").endswith("podcast-cover.png")
    assert channel.find(f"{ITUNES}explicit").text == "false"
    (item,) = channel.findall("item")
    assert "Change mechanisms" in item.find("title").text
    assert item.find(f"{ITUNES}duration").text == "00:42:00"
    enclosure = item.find("enclosure")
    assert enclosure.get("length") == str(len(AUDIO))
    assert enclosure.get("type") == "audio/wav"
    assert enclosure.get("url").endswith(audio_url(learner, episode))


def test_feed_lists_only_lessons_with_a_podcast(client, learner, course, episode):
    factories.make_lesson(course, title="No audio here")
    assert b"No audio here" not in client.get(feed_url(learner)).content


def test_feed_leaves_out_other_courses(client, learner, episode, other_course):
    with_audio(other_course, title="Formulation")
    assert b"Formulation" not in client.get(feed_url(learner)).content


def test_feed_links_an_external_audio_url(client, learner, course):
    factories.make_lesson(course, podcast_url="https://cdn.example.com/ep1.mp3", podcast_bytes=99)
    feed = ET.fromstring(client.get(feed_url(learner)).content)  # noqa: S314 - our own feed
    enclosure = feed.find("channel/item/enclosure")
    assert (enclosure.get("url"), enclosure.get("length"), enclosure.get("type")) == (
        "https://cdn.example.com/ep1.mp3",
        "99",
        "audio/mpeg",
    )


def test_unknown_token_gets_404(client, episode):
    assert client.get("/podcast/not-a-token/feed.xml").status_code == 404
    assert client.get(f"/podcast/not-a-token/episodes/{episode.pk}/audio").status_code == 404


def test_outsider_feed_gets_404(client, outsider, episode):
    assert client.get(feed_url(outsider)).status_code == 404


def test_refunded_learner_feed_and_audio_stop_working(client, learner, episode):
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.REFUNDED)

    assert client.get(feed_url(learner)).status_code == 404
    assert client.get(audio_url(learner, episode)).status_code == 404


def test_reset_token_retires_the_old_feed(client, client_for, learner, episode):
    old = feed_url(learner)
    client_for(learner).post(reverse("accounts:reset_feed_token"))
    learner.refresh_from_db()

    assert client.get(old).status_code == 404
    assert client.get(feed_url(learner)).status_code == 200


def test_audio_of_another_course_gets_404(client, learner, other_course):
    other = with_audio(other_course)
    assert client.get(audio_url(learner, other)).status_code == 404


def test_whole_audio_file_with_accept_ranges(client, learner, episode):
    response = client.get(audio_url(learner, episode))

    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/wav"
    assert response["Content-Length"] == str(len(AUDIO))
    assert body(response) == AUDIO


def test_range_request_gets_206_partial_content(client, learner, episode):
    response = client.get(audio_url(learner, episode), HTTP_RANGE="bytes=100-199")

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert response["Content-Length"] == "100"
    assert body(response) == AUDIO[100:200]


def test_open_ended_and_suffix_ranges(client, learner, episode):
    size = len(AUDIO)
    tail = client.get(audio_url(learner, episode), HTTP_RANGE=f"bytes={size - 10}-")
    suffix = client.get(audio_url(learner, episode), HTTP_RANGE="bytes=-5")
    past_end = client.get(audio_url(learner, episode), HTTP_RANGE=f"bytes={size - 3}-{size + 50}")

    assert (tail.status_code, body(tail)) == (206, AUDIO[-10:])
    assert (suffix.status_code, body(suffix)) == (206, AUDIO[-5:])
    assert suffix["Content-Range"] == f"bytes {size - 5}-{size - 1}/{size}"
    assert (past_end.status_code, body(past_end)) == (206, AUDIO[-3:])


@pytest.mark.parametrize(
    "header",
    [
        "bytes=999999999-", "bytes=50-10", "bytes=-0", "bytes=abc", "items=0-1", "bytes=-",
        "bytes=" + "9" * 5000 + "-", "bytes=-" + "9" * 5000, "bytes=\u0661-\u0662",
    ],
)  # fmt: skip
def test_bad_ranges_get_416(client, learner, episode, header):
    response = client.get(audio_url(learner, episode), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"


def test_head_request_answers_headers_only(client, learner, episode):
    response = client.head(audio_url(learner, episode), HTTP_RANGE="bytes=0-9")

    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response.content == b""


def test_lesson_page_audio_is_served_to_the_signed_in_learner(client_for, learner, episode):
    path = reverse(
        "lessons:media",
        kwargs={"course_slug": episode.course.slug, "slug": episode.slug, "kind": "audio"},
    )
    response = client_for(learner).get(path, HTTP_RANGE="bytes=0-3")

    assert response.status_code == 206
    assert body(response) == AUDIO[:4]


@pytest.mark.parametrize("persona", ["client", "outsider", "other_learner"])
def test_lesson_page_audio_is_404_without_access(request, client_for, episode, persona):
    user = None if persona == "client" else request.getfixturevalue(persona)
    path = reverse(
        "lessons:media",
        kwargs={"course_slug": episode.course.slug, "slug": episode.slug, "kind": "audio"},
    )
    assert client_for(user).get(path).status_code == 404


def test_missing_media_kind_gets_404(client_for, learner, episode):
    for kind in ("video", "captions", "secrets"):
        path = reverse(
            "lessons:media",
            kwargs={"course_slug": episode.course.slug, "slug": episode.slug, "kind": kind},
        )
        assert client_for(learner).get(path).status_code == 404


def test_feed_queries_do_not_grow(
    client, learner, cohort, course, django_assert_max_num_queries, django_assert_num_queries
):
    for i in range(3):
        factories.make_lesson(course, order=i, podcast_url=f"https://cdn.example.com/{i}.mp3")
    client.get(feed_url(learner))  # the sites framework caches the current site
    with django_assert_max_num_queries(12) as small:
        assert client.get(feed_url(learner)).status_code == 200
    for i in range(27):
        factories.make_lesson(course, order=10 + i, podcast_url=f"https://cdn.example.com/x{i}.mp3")
        factories.enrol(factories.make_user(), cohort)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(feed_url(learner)).status_code == 200
