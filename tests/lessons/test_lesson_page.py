"""The lesson page and recording progress on it."""

import pytest
from django.urls import reverse

from courses.models import Enrollment
from lessons.models import Progress
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(course):
    return factories.make_lesson(
        course, title="Change mechanisms", slug="change-mechanisms", order=4
    )


def url(lesson) -> str:
    return reverse(
        "lessons:lesson", kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug}
    )


def progress_url(lesson) -> str:
    return reverse(
        "lessons:progress", kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug}
    )


def test_learner_reads_the_lesson(client_for, learner, lesson):
    response = client_for(learner).get(url(lesson))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Change mechanisms" in page
    assert "Chapter text of lesson" in page
    # The player is the poster's to load, on the learner's click (lesson.js): no frame yet.
    assert 'data-video-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ' in page
    assert "<iframe" not in page
    assert "Mark the video as done" in page
    for material in ("video", "chapter"):  # each material's button posts to the progress URL
        assert (
            f'<form method="post" action="{progress_url(lesson)}" class="inline-form"\n'
            f'          data-hx-post="{progress_url(lesson)}" data-hx-target="#status-{material}"'
        ) in page
    assert response["Cache-Control"].count("no-store") == 1


@pytest.mark.parametrize(
    ("persona", "why"),
    [
        ("client", "Sign in to open this lesson"),
        ("outsider", "This lesson opens when you enrol in a run of"),
        ("other_learner", "This lesson opens when you enrol in a run of"),
    ],
)
def test_people_without_access_get_the_locked_page_that_says_why(
    request, client_for, lesson, persona, why
):
    client = (
        request.getfixturevalue("client")
        if persona == "client"
        else client_for(request.getfixturevalue(persona))
    )
    response = client.get(url(lesson))

    assert response.status_code == 403
    page = response.content.decode()
    assert why in page and lesson.title in page
    assert f'href="{lesson.course.get_absolute_url()}"' in page  # enrol or join the waitlist
    assert lesson.summary not in page and "Chapter text" not in page
    assert "no-store" in response["Cache-Control"]


def test_refunded_learner_gets_the_locked_page_saying_their_access_ended(
    client_for, learner, lesson
):
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.REFUNDED)

    response = client_for(learner).get(url(lesson))

    assert response.status_code == 403
    page = response.content.decode()
    assert "Your access ended on" in page and "was refunded" in page
    assert "Chapter text" not in page


def test_cancelled_learner_gets_the_locked_page_saying_it_was_cancelled(
    client_for, learner, lesson
):
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.CANCELLED)

    page = client_for(learner).get(url(lesson)).content.decode()

    assert "Your access ended on" in page and "was cancelled" in page


def test_the_lesson_media_of_a_locked_lesson_stay_404(client_for, outsider, lesson):
    media = reverse(
        "lessons:media",
        kwargs={"course_slug": lesson.course.slug, "slug": lesson.slug, "kind": "video"},
    )
    assert client_for(outsider).get(media).status_code == 404


def test_unknown_lesson_or_course_gets_404(client_for, learner, lesson):
    c = client_for(learner)
    assert c.get(f"/courses/{lesson.course.slug}/lessons/nope/").status_code == 404
    assert c.get(f"/courses/nope/lessons/{lesson.slug}/").status_code == 404


def test_visitor_reads_a_free_preview_without_progress_forms(client, course):
    preview = factories.make_lesson(course, title="Psychopathology", free_preview=True)

    response = client.get(url(preview))

    assert response.status_code == 200
    page = response.content.decode()
    assert "This lesson is a free preview" in page
    assert "Mark the video as done" not in page


def test_staff_and_instructor_read_any_lesson(client_for, staff, instructor, lesson):
    assert client_for(staff).get(url(lesson)).status_code == 200
    assert client_for(instructor).get(url(lesson)).status_code == 200


def test_staff_preview_as_learner_records_nothing(client_for, staff, lesson):
    response = client_for(staff).get(url(lesson) + "?preview=learner")

    assert "this is the lesson as a learner sees it" in response.content.decode()
    assert not Progress.objects.filter(user=staff).exists()


def test_learner_preview_parameter_is_ignored(client_for, learner, lesson):
    response = client_for(learner).get(url(lesson) + "?preview=learner")

    assert "as a learner sees it" not in response.content.decode()
    assert Progress.objects.filter(user=learner).exists()


def test_opening_a_lesson_remembers_it(client_for, learner, lesson):
    client_for(learner).get(url(lesson))

    progress = Progress.objects.get(user=learner, lesson=lesson)
    assert progress.done_materials == []
    assert progress.completed_at is None


def test_previous_and_next_links(client_for, learner, course, lesson):
    before = factories.make_lesson(course, title="Role of emotion", order=3)
    after = factories.make_lesson(course, title="Development", order=5)

    page = client_for(learner).get(url(lesson)).content.decode()

    assert f'rel="prev" href="{url(before)}"' in page
    assert f'rel="next" href="{url(after)}"' in page


def test_marking_a_material_done_without_javascript(client_for, learner, lesson):
    response = client_for(learner).post(progress_url(lesson), {"material": "video"})

    assert response.status_code == 302
    assert response["Location"] == url(lesson) + "#video"
    progress = Progress.objects.get(user=learner, lesson=lesson)
    assert progress.done_materials == ["video"]
    assert progress.completed_at is None


def test_marking_done_twice_keeps_the_first_time(client_for, learner, lesson):
    c = client_for(learner)
    c.post(progress_url(lesson), {"material": "chapter"})
    first = Progress.objects.get(user=learner, lesson=lesson).chapter_done_at
    c.post(progress_url(lesson), {"material": "chapter"})

    assert Progress.objects.get(user=learner, lesson=lesson).chapter_done_at == first


def test_every_material_done_completes_the_lesson(client_for, learner, lesson):
    c = client_for(learner)
    for material in ("chapter", "video"):  # this lesson has no podcast
        c.post(progress_url(lesson), {"material": material})

    assert Progress.objects.get(user=learner, lesson=lesson).completed_at is not None


def test_undoing_a_material_reopens_the_lesson(client_for, learner, lesson):
    c = client_for(learner)
    for material in ("chapter", "video"):
        c.post(progress_url(lesson), {"material": material})
    c.post(progress_url(lesson), {"material": "video", "done": "0"})

    progress = Progress.objects.get(user=learner, lesson=lesson)
    assert progress.done_materials == ["chapter"]
    assert progress.completed_at is None


def test_htmx_request_gets_the_status_and_the_new_progress_bar(client_for, learner, lesson):
    response = client_for(learner).post(
        progress_url(lesson), {"material": "video"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="status-video"' in page
    assert "Mark the video as not done" in page
    assert 'data-hx-swap-oob="true"' in page
    assert "1 of 2 materials done" in page


def test_a_material_the_lesson_lacks_is_refused(client_for, learner, lesson):
    c = client_for(learner)
    assert c.post(progress_url(lesson), {"material": "podcast"}).status_code == 400
    assert c.post(progress_url(lesson), {"material": "../etc"}).status_code == 400
    assert c.post(progress_url(lesson), {}).status_code == 400
    assert not Progress.objects.exists()


def test_progress_needs_post(client_for, learner, lesson):
    assert client_for(learner).get(progress_url(lesson)).status_code == 405


@pytest.mark.parametrize("persona", ["outsider", "other_learner"])
def test_people_without_access_cannot_record_progress(request, client_for, lesson, persona):
    user = request.getfixturevalue(persona)
    response = client_for(user).post(progress_url(lesson), {"material": "video"})

    assert response.status_code == 404
    assert not Progress.objects.exists()


def test_visitor_is_sent_to_sign_in_to_record_progress(client, lesson):
    response = client.post(progress_url(lesson), {"material": "video"})

    assert response.status_code == 302
    assert not Progress.objects.exists()


def test_the_chapter_renders_harmless(client_for, learner, lesson):
    from lessons.models import Lesson

    evil = (
        '<p onclick="steal()">Hi<script>alert(1)</script></p>'
        '<a href="javascript:alert(2)">link</a><img src="x" onerror="alert(3)">'
        '<iframe src="https://evil.example"></iframe><style>body{}</style>'
    )
    # Also straight into the database, as an import or an older row might put it there.
    Lesson.objects.filter(pk=lesson.pk).update(chapter=evil)

    page = client_for(learner).get(url(lesson)).content.decode()
    chapter = page[page.index('class="prose chapter"') : page.index("data-chapter-end")]
    for bad in ("<script", "onclick", "onerror", "javascript:", "<iframe", "<style"):
        assert bad not in chapter
    assert "Hi" in chapter


def add_lessons_and_learners(course, cohort, n: int) -> None:
    for i in range(n):
        lesson = factories.make_lesson(course, order=100 + i)
        person = factories.make_user()
        factories.enrol(person, cohort)
        Progress.objects.create(user=person, lesson=lesson, chapter_done_at=lesson.created_at)


def test_lesson_page_queries_are_the_same_with_3_and_30(
    client_for, learner, cohort, lesson, django_assert_max_num_queries, django_assert_num_queries
):
    add_lessons_and_learners(lesson.course, cohort, 2)
    c = client_for(learner)
    c.get(url(lesson))  # the first visit creates the progress row
    with django_assert_max_num_queries(12) as small:
        assert c.get(url(lesson)).status_code == 200
    add_lessons_and_learners(lesson.course, cohort, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(url(lesson)).status_code == 200


def test_uploaded_video_plays_with_captions(client_for, learner, course):
    from django.core.files.base import ContentFile

    lesson = factories.make_lesson(course, video_url="")
    lesson.video_file.save("intro.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200))
    lesson.video_captions.save("intro.vtt", ContentFile(b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi"))
    c = client_for(learner)

    page = c.get(url(lesson)).content.decode()
    captions = c.get(url(lesson) + "media/captions")
    video = c.get(url(lesson) + "media/video", HTTP_RANGE="bytes=0-7")

    assert "<video" in page and 'kind="captions"' in page
    assert captions["Content-Type"] == "text/vtt"
    assert b"".join(captions.streaming_content).startswith(b"WEBVTT")
    assert video.status_code == 206 and video["Content-Type"] == "video/mp4"
