"""The learner's dashboard: trimesters with progress, continue where you left off."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment
from lessons.models import Progress
from qa.models import Question
from tests import factories

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("courses:dashboard")


@pytest.fixture
def lessons(course):
    return [factories.make_lesson(course, title=f"Lesson {i}", order=i) for i in range(1, 5)]


def test_learner_sees_their_trimester_with_progress(client_for, learner, cohort, lessons):
    now = timezone.now()
    Progress.objects.create(
        user=learner, lesson=lessons[0], chapter_done_at=now, video_done_at=now, completed_at=now
    )
    Progress.objects.create(user=learner, lesson=lessons[1], chapter_done_at=now)

    response = client_for(learner).get(DASHBOARD)

    page = response.content.decode()
    assert response.status_code == 200
    assert cohort.name in page
    # Progress reads as lessons done (issue 24, point 8), not as a share of the materials.
    assert "1 of 4 lessons done" in page
    assert '<progress class="meter"' in page and 'max="4" value="1"' in page
    assert "% of the materials" not in page
    assert "no-store" in response["Cache-Control"]


def test_continue_where_you_left_off_is_the_last_lesson_opened(client_for, learner, lessons):
    now = timezone.now()
    Progress.objects.create(user=learner, lesson=lessons[2], last_seen_at=now)
    Progress.objects.create(
        user=learner, lesson=lessons[0], last_seen_at=now - dt.timedelta(days=1)
    )

    page = client_for(learner).get(DASHBOARD).content.decode()

    assert "Continue where you left off" in page
    assert "Continue “Lesson 3”" in page
    assert f'<a class="button" href="{lessons[2].get_absolute_url()}">Continue' in page
    assert f"Trimester {lessons[2].course.number}: {lessons[2].course.title} · last opened" in page


def test_continue_leaves_out_lessons_no_longer_accessible(client_for, learner, lessons):
    Progress.objects.create(user=learner, lesson=lessons[0])
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.REFUNDED)

    page = client_for(learner).get(DASHBOARD).content.decode()

    assert "Continue where you left off" not in page
    assert "You are not enrolled yet" in page


def test_dashboard_shows_the_private_podcast_feed(client_for, learner, lessons):
    page = client_for(learner).get(DASHBOARD).content.decode()
    assert f"/podcast/{learner.feed_token}/feed.xml" in page


def answered(asker, title: str, minutes_ago: int = 0) -> Question:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Question.objects.create(
        asker=asker,
        title=title,
        text="The private text of the question.",
        status=Question.Status.ANSWERED,
        answered_at=when,
    )


def test_recent_answers_list_the_learners_own_answered_questions(
    client_for, learner, other_learner
):
    mine = answered(learner, "How do I pace a first session?", minutes_ago=5)
    Question.objects.create(asker=learner, title="Still waiting for this one", text="…")
    answered(other_learner, "Another learner asks this")

    page = client_for(learner).get(DASHBOARD).content.decode()

    assert "Recent answers to your questions" in page
    assert reverse("qa:question", args=[mine.pk]) in page
    assert "How do I pace a first session?" in page
    assert "Still waiting for this one" not in page
    assert "Another learner asks this" not in page
    assert "The private text of the question." not in page


def test_no_recent_answers_section_without_answers(client_for, learner):
    page = client_for(learner).get(DASHBOARD).content.decode()
    assert "Recent answers to your questions" not in page


def test_outsider_sees_the_empty_state(client_for, outsider):
    page = client_for(outsider).get(DASHBOARD).content.decode()
    assert "You are not enrolled yet" in page
    assert "/podcast/" not in page


def test_visitor_is_sent_to_sign_in(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302


def test_dashboard_queries_are_the_same_with_3_and_30(
    client_for, learner, course, cohort, django_assert_max_num_queries, django_assert_num_queries
):
    for i in range(3):
        Progress.objects.create(user=learner, lesson=factories.make_lesson(course, order=i))
        answered(learner, f"Question {i}")
    c = client_for(learner)
    with django_assert_max_num_queries(12) as small:
        assert c.get(DASHBOARD).status_code == 200
    for i in range(27):
        lesson = factories.make_lesson(course, order=10 + i)
        Progress.objects.create(user=learner, lesson=lesson)
        other_course = factories.make_course()
        factories.make_lesson(other_course)
        factories.enrol(learner, factories.make_cohort(other_course))
        factories.enrol(factories.make_user(), cohort)
        answered(learner, f"Question {10 + i}")
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(DASHBOARD).status_code == 200


def test_staff_see_every_trimester_and_learners_only_their_own(
    client_for, staff, learner, course, lessons
):
    other = factories.make_course(title="Another trimester")
    factories.make_lesson(other, title="Elsewhere")
    now = timezone.now()
    Progress.objects.create(user=staff, lesson=lessons[0], chapter_done_at=now, video_done_at=now)

    staff_page = client_for(staff).get(DASHBOARD).content.decode()
    learner_page = client_for(learner).get(DASHBOARD).content.decode()

    assert course.title in staff_page and "Another trimester" in staff_page
    assert "0 of 4 lessons done" in staff_page  # materials used, but no lesson complete
    assert "0 of 1 lesson done" in staff_page
    assert course.title in learner_page and "Another trimester" not in learner_page


def test_course_progress_counts_only_the_learners_own_materials(learner, course, lessons):
    """`Course.objects.with_progress_of`, the one course-progress rule: another learner's
    progress, a lesson of another course and a course without materials count for nothing."""
    from courses.models import Course

    now = timezone.now()
    other_course = factories.make_course(title="Elsewhere")
    elsewhere = factories.make_lesson(other_course, title="Elsewhere 1")
    Progress.objects.create(user=learner, lesson=lessons[0], video_done_at=now)
    Progress.objects.create(user=learner, lesson=elsewhere, chapter_done_at=now, completed_at=now)
    someone = factories.make_user("someone@example.com")
    Progress.objects.create(
        user=someone, lesson=lessons[1], chapter_done_at=now, video_done_at=now, completed_at=now
    )
    empty = factories.make_course(title="No lessons yet")

    found = {c.pk: c for c in Course.objects.with_progress_of(learner)}

    mine = found[course.pk]
    assert (mine.lesson_count, mine.material_total, mine.materials_used) == (4, 8, 1)
    assert (mine.lessons_completed, mine.progress_percent) == (0, 12)  # 1 of 8
    assert found[other_course.pk].lessons_completed == 1
    nothing = found[empty.pk]
    assert (nothing.lesson_count, nothing.material_total, nothing.progress_percent) == (0, 0, 0)
