"""Lesson rules: video providers, sanitizing on save, uploads checked by content."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from lessons.embeds import embed_url
from lessons.models import Lesson
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "embed"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"),
        ("https://youtu.be/dQw4w9WgXcQ?t=10", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"),
        ("https://m.youtube.com/shorts/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1"),
        ("https://player.vimeo.com/video/76979871?h=abc", "https://player.vimeo.com/video/76979871?dnt=1"),
    ],
)  # fmt: skip
def test_supported_video_links_become_privacy_friendly_embeds(url, embed):
    assert embed_url(url) == embed


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload%3D",
        "https://vimeo.com/channels/staff",
        "ftp://vimeo.com/76979871",
        "http://[::1",
        "",
    ],
)
def test_other_video_links_are_refused(url):
    assert embed_url(url) is None


def test_lesson_page_embeds_ask_the_player_to_report_the_end(settings):
    settings.SITE_URL = "https://learn.example.com"
    youtube = Lesson(video_url="https://youtu.be/dQw4w9WgXcQ")
    vimeo = Lesson(video_url="https://vimeo.com/76979871")

    assert youtube.video_embed_url == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?rel=0"
        "&enablejsapi=1&origin=https%3A%2F%2Flearn.example.com"
    )
    assert vimeo.video_embed_url == "https://player.vimeo.com/video/76979871?dnt=1"
    # Q&A answers and anything else using embed_url keep the plain embed.
    assert embed_url("https://youtu.be/dQw4w9WgXcQ").endswith("?rel=0")


def test_lesson_with_an_unsupported_video_link_does_not_validate(course):
    lesson = Lesson(course=course, title="T", slug="t", video_url="https://evil.example/v/1")
    with pytest.raises(ValidationError) as error:
        lesson.full_clean()
    assert "video_url" in error.value.message_dict


def test_a_video_link_and_a_file_together_do_not_validate(course):
    lesson = Lesson(course=course, title="T", slug="t", video_url="https://vimeo.com/76979871")
    lesson.video_file = SimpleUploadedFile("x.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60)
    with pytest.raises(ValidationError) as error:
        lesson.full_clean()
    assert "video_file" in error.value.message_dict


def test_chapter_is_sanitized_on_save(course):
    lesson = factories.make_lesson(
        course,
        chapter='<h2 onmouseover="x()">Title</h2><script>alert(1)</script>'
        '<p><a href="javascript:alert(1)">bad</a> <a href="https://ok.example">good</a></p>',
    )
    lesson.refresh_from_db()
    assert "<script" not in lesson.chapter
    assert "onmouseover" not in lesson.chapter
    assert "javascript:" not in lesson.chapter
    assert 'href="https://ok.example"' in lesson.chapter
    assert lesson.chapter_text == "Title bad good"


def test_material_count_follows_the_materials(course):
    assert factories.make_lesson(course).material_count == 2
    assert factories.make_lesson(course, chapter="", video_url="").material_count == 0
    full = factories.make_lesson(course, podcast_url="https://cdn.example.com/a.mp3")
    assert full.material_count == 3


@pytest.mark.parametrize(
    ("field", "name", "content", "ok"),
    [
        ("podcast_file", "episode.mp3", b"ID3\x03\x00" + b"\x00" * 60, True),
        ("podcast_file", "episode.mp3", b"<html><script>alert(1)</script>", False),
        ("video_file", "intro.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 60, True),
        ("video_file", "intro.mp4", b"MZ\x90\x00 an executable", False),
        ("video_captions", "intro.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHello", True),
        ("video_captions", "intro.vtt", b"1\n00:00:00,000 --> 00:00:01,000\nSRT", False),
    ],
)
def test_uploads_are_checked_by_content(field, name, content, ok):
    upload = SimpleUploadedFile(name, content)
    validators = Lesson._meta.get_field(field).validators
    if ok:
        for validate in validators:
            validate(upload)
    else:
        with pytest.raises(ValidationError):
            for validate in validators:
                validate(upload)
