"""Staff side: lessons in the admin, preview link, completion per lesson and per run."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lessons.models import Lesson, Progress
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons(course):
    return [factories.make_lesson(course, title=f"L{i}", order=i) for i in range(1, 4)]


def complete(user, lesson) -> None:
    now = timezone.now()
    Progress.objects.create(
        user=user, lesson=lesson, chapter_done_at=now, video_done_at=now, completed_at=now
    )


def test_instructor_sees_lessons_with_completion(client_for, instructor, learner, cohort, lessons):
    other = factories.make_user()
    factories.enrol(other, cohort)
    complete(learner, lessons[0])

    response = client_for(instructor).get(reverse("admin:lessons_lesson_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 of 2 learners (50%)" in page
    assert "0 of 2 learners (0%)" in page
    assert "?preview=learner" in page
    assert "Completion by run" in page


def test_completion_counts_only_learners_with_access(
    client_for, instructor, staff, learner, cohort, lessons
):
    refunded = factories.make_user()
    factories.enrol(refunded, cohort, status=Enrollment.Status.REFUNDED)
    twice = factories.make_user()
    factories.enrol(twice, cohort)
    factories.enrol(twice, factories.make_cohort(cohort.course))
    for user in (learner, refunded, staff, twice):
        complete(user, lessons[0])

    page = client_for(instructor).get(reverse("admin:lessons_lesson_changelist")).content.decode()

    assert "2 of 2 learners (100%)" in page
    assert "0 of 2 learners (0%)" in page


def test_instructor_reorders_lessons_in_the_list(client_for, instructor, lessons):
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
        "_save": "Save",
    }
    for i, lesson in enumerate(lessons):
        data[f"form-{i}-id"] = str(lesson.pk)
        data[f"form-{i}-order"] = str(10 - i)
    response = client_for(instructor).post(reverse("admin:lessons_lesson_changelist"), data)

    assert response.status_code == 302
    assert [lesson.title for lesson in Lesson.objects.filter(course=lessons[0].course)] == [
        "L3",
        "L2",
        "L1",
    ]


def test_instructor_edits_a_lesson_with_the_prose_editor(client_for, instructor, lessons):
    response = client_for(instructor).get(
        reverse("admin:lessons_lesson_change", args=[lessons[0].pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "prose-editor" in page or "django_prose_editor" in page
    assert "Preview as a learner" in page


def test_admin_form_refuses_a_fake_audio_file(client_for, instructor, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(instructor).post(
        reverse("admin:lessons_lesson_add"),
        {
            "course": course.pk,
            "order": 1,
            "title": "Upload",
            "slug": "upload",
            "chapter": "<p>x</p>",
            "podcast_file": SimpleUploadedFile("episode.mp3", b"<?php evil(); ?>" * 10),
            "podcast_bytes": 0,
        },
    )
    assert response.status_code == 200
    assert (
        "This is not a podcast audio file we accept (MP3 or M4A (AAC))" in response.content.decode()
    )
    assert not Lesson.objects.filter(slug="upload").exists()


def test_completion_per_run(client_for, staff, learner, cohort, lessons):
    refunded = factories.make_user()
    factories.enrol(refunded, cohort, status=Enrollment.Status.REFUNDED)
    complete(refunded, lessons[0])
    complete(learner, lessons[0])
    Progress.objects.create(user=learner, lesson=lessons[1], chapter_done_at=timezone.now())

    response = client_for(staff).get(
        reverse("admin:lessons_lesson_completion"), {"cohort": cohort.pk}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "1 learner with access" in page
    table = page[page.index('class="completion-table"') :]
    rows = table.split("<tr>")[2:]
    assert "L1" in rows[0] and "<td>1</td>" in rows[0] and "100%" in rows[0]
    assert "L2" in rows[1] and "0%" in rows[1]


def test_completion_view_ignores_bad_ids(client_for, staff):
    for value in ["", "abc", "999999", "-1"]:
        response = client_for(staff).get(
            reverse("admin:lessons_lesson_completion"), {"cohort": value}
        )
        assert response.status_code == 200


def test_completion_view_needs_the_progress_permission(client_for):
    user = factories.make_user(is_staff=True)
    response = client_for(user).get(reverse("admin:lessons_lesson_completion"))
    assert response.status_code == 403


def test_completion_queries_do_not_grow(
    client_for, staff, cohort, course, django_assert_max_num_queries, django_assert_num_queries
):
    c = client_for(staff)
    url = reverse("admin:lessons_lesson_completion")
    for i in range(3):
        factories.make_lesson(course, order=i)
    with django_assert_max_num_queries(12) as small:
        assert c.get(url, {"cohort": cohort.pk}).status_code == 200
    for i in range(27):
        lesson = factories.make_lesson(course, order=10 + i)
        person = factories.make_user()
        factories.enrol(person, cohort)
        complete(person, lesson)
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(url, {"cohort": cohort.pk}).status_code == 200


def test_staff_can_view_but_not_change_lessons(client_for, staff, lessons):
    c = client_for(staff)
    assert c.get(reverse("admin:lessons_lesson_changelist")).status_code == 200
    assert c.get(reverse("admin:lessons_lesson_add")).status_code == 403


def test_lesson_list_queries_are_the_same_with_3_and_30(
    client_for, instructor, course, cohort, django_assert_max_num_queries, django_assert_num_queries
):
    c = client_for(instructor)
    url = reverse("admin:lessons_lesson_changelist")
    for i in range(3):
        factories.make_lesson(course, order=i)
    with django_assert_max_num_queries(15) as small:  # the admin's own session and perms
        assert c.get(url).status_code == 200
    for i in range(27):
        lesson = factories.make_lesson(course, order=10 + i)
        person = factories.make_user()
        factories.enrol(person, cohort)
        complete(person, lesson)
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(url).status_code == 200
