"""The video and podcast players remember where the learner stopped, on any device, and
offer a playback speed from 0.75× to 2× (issue 24, point 4)."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from lessons.models import Lesson, Progress
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(course):
    lesson = factories.make_lesson(
        course, title="Role of emotion", slug="role-of-emotion", podcast_url=""
    )
    lesson.podcast_file.save("episode.mp3", ContentFile(b"ID3" + b"\0" * 64), save=False)
    lesson.video_url = ""
    lesson.video_file.save("intro.mp4", ContentFile(b"\0" * 64), save=False)
    lesson.save()
    return lesson


def position_url(lesson: Lesson) -> str:
    return reverse(
        "lessons:position", kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug}
    )


def test_the_position_is_kept_and_given_back_on_another_device(client_for, learner, lesson):
    phone = client_for(learner)
    phone.get(lesson.get_absolute_url())
    response = phone.post(position_url(lesson), {"material": "podcast", "seconds": "754.6"})
    assert response.status_code == 204
    phone.post(position_url(lesson), {"material": "video", "seconds": "42"})
    progress = Progress.objects.get(user=learner, lesson=lesson)
    assert (progress.podcast_position, progress.video_position) == (754, 42)

    laptop = client_for(learner)
    html = laptop.get(lesson.get_absolute_url()).content.decode()
    assert 'id="podcast-player"' in html
    assert 'data-position="754"' in html
    assert 'data-position="42"' in html
    assert 'data-position-url="' + position_url(lesson) + '"' in html


def test_a_position_before_the_first_visit_creates_the_progress_row(client_for, learner, lesson):
    client_for(learner).post(position_url(lesson), {"material": "video", "seconds": "5"})
    assert Progress.objects.get(user=learner, lesson=lesson).video_position == 5


@pytest.mark.parametrize(
    "data",
    [
        {"material": "chapter", "seconds": "5"},
        {"material": "podcast", "seconds": "-1"},
        {"material": "podcast", "seconds": "nan"},
        {"material": "podcast", "seconds": "999999"},
        {"material": "podcast"},
        {},
    ],
)
def test_bad_input_is_a_400_not_a_500(client_for, learner, lesson, data):
    response = client_for(learner).post(position_url(lesson), data)
    assert response.status_code == 400
    assert not Progress.objects.filter(podcast_position__gt=0).exists()


def test_a_lesson_without_that_player_refuses_its_position(client_for, learner, course):
    chapter_only = factories.make_lesson(
        course, slug="chapter-only", video_url="", podcast_url="", chapter="<p>Text</p>"
    )
    response = client_for(learner).post(
        position_url(chapter_only), {"material": "podcast", "seconds": "5"}
    )
    assert response.status_code == 400


def test_others_cannot_set_a_position_on_a_lesson_they_may_not_open(
    client_for, other_learner, client, lesson
):
    assert (
        client_for(other_learner)
        .post(position_url(lesson), {"material": "video", "seconds": "5"})
        .status_code
        == 404
    )
    assert (
        client.post(position_url(lesson), {"material": "video", "seconds": "5"}).status_code == 302
    )
    assert not Progress.objects.exists()


def test_both_players_offer_speeds_from_075_to_2(client_for, learner, lesson):
    html = client_for(learner).get(lesson.get_absolute_url()).content.decode()
    for player in ("video-player", "podcast-player"):
        assert f'data-speed-for="{player}"' in html
        assert f'<label for="{player}-speed">Speed</label>' in html
    for speed in ("0.75", "1", "1.25", "1.5", "1.75", "2"):
        assert f'<option value="{speed}"' in html
    assert "js/lesson_tools.js" in html


def test_an_embedded_video_carries_its_position_and_speed_control(client_for, learner, course):
    lesson = factories.make_lesson(course, slug="embedded", video_url="https://vimeo.com/76979871")
    Progress.objects.create(user=learner, lesson=lesson, video_position=125)
    html = client_for(learner).get(lesson.get_absolute_url()).content.decode()
    assert f'data-position-url="{position_url(lesson)}" data-position="125"' in html
    assert 'data-speed-for="video-embed"' in html
    assert '<label for="video-embed-speed">Speed</label>' in html
    # The player is loaded by lesson.js when the learner presses play; lesson_tools.js keeps
    # its position and speed.
    assert "js/lesson.js" in html and "js/lesson_tools.js" in html
