"""Hours earned from what the learner did: live only from attendance, recordings as home study."""

from decimal import Decimal

import pytest

from ce.models import SessionHours
from ce.services import build_transcript
from tests.ce.conftest import attend, finish_lessons, watch

pytestmark = pytest.mark.django_db


def test_nothing_done_is_no_hours(ce, learner):
    t = build_transcript(user=learner, course=ce.credit.course)

    assert (t.live_hours, t.home_study_earned) == (0, 0)
    assert t.lessons_total == 2 and t.lessons_done == 0


def test_an_attended_friday_group_is_live_hours_at_the_default_1_25(ce, learner):
    attend(learner, ce.sessions[0])

    t = build_transcript(user=learner, course=ce.credit.course)

    assert t.live_hours == Decimal("1.25")
    assert t.home_study_earned == 0


def test_a_watched_recording_is_home_study_never_live(ce, learner):
    watch(learner, ce.sessions[1])

    t = build_transcript(user=learner, course=ce.credit.course)

    assert t.live_hours == 0
    assert t.home_study_earned == Decimal("1.25")
    assert [line.kind for line in t.lines] == ["home study"]


def test_attending_and_watching_the_same_group_counts_it_once_as_live(ce, learner):
    attend(learner, ce.sessions[0])
    watch(learner, ce.sessions[0])

    t = build_transcript(user=learner, course=ce.credit.course)

    assert (t.live_hours, t.home_study_earned) == (Decimal("1.25"), 0)


def test_staff_set_hours_of_a_session(ce, learner):
    SessionHours.objects.create(session=ce.sessions[0], hours=Decimal("1.5"))
    attend(learner, ce.sessions[0])

    assert build_transcript(user=learner, course=ce.credit.course).live_hours == Decimal("1.5")


def test_finished_materials_are_home_study_at_their_hours(ce, learner):
    finish_lessons(learner, ce.lessons[:1])

    t = build_transcript(user=learner, course=ce.credit.course)

    assert t.home_study_earned == Decimal("1.50")  # chapter 1.00 + video 0.50
    assert t.lessons_done == 1


def test_home_study_counts_only_once_the_post_test_is_passed(ce, learner):
    finish_lessons(learner, ce.lessons)

    t = build_transcript(user=learner, course=ce.credit.course)

    assert t.home_study_earned == Decimal("3.00")
    assert t.home_study_hours == 0
    assert "Pass the post-test (75% or more)." in t.missing


def test_attendance_in_another_run_does_not_count(ce, learner, other_cohort):
    from zoomgroups.models import GroupSession

    other = GroupSession.objects.create(
        cohort=other_cohort, slot=1, starts_at=ce.sessions[0].starts_at, topic="Elsewhere"
    )
    attend(learner, other)

    assert build_transcript(user=learner, course=ce.credit.course).live_hours == 0


def test_the_transcript_page_lists_hours_and_what_is_missing(ce, learner, client_for):
    attend(learner, ce.sessions[0])
    watch(learner, ce.sessions[1])

    page = client_for(learner).get(f"/ce/{ce.credit.course.slug}/").content.decode()

    assert "Friday group: Group 1" in page
    assert "Recording of the Friday group: Group 2" in page
    assert 'id="live-hours">1.25 h' in page
    assert "Finish every material of 2 more lessons." in page
    assert "Fill in the course evaluation." in page


def test_the_transcript_pages_query_count_does_not_grow_with_the_data(ce, learner, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests import factories

    client = client_for(learner)
    url = f"/ce/{ce.credit.course.slug}/"

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    before = count(url), count("/ce/")
    for n in range(3):
        lesson = factories.make_lesson(ce.credit.course, slug=f"more-{n}")
        finish_lessons(learner, [lesson])
    attend(learner, ce.sessions[0])
    watch(learner, ce.sessions[1])

    assert (count(url), count("/ce/")) == before
    assert before[0] <= 20


def test_staff_list_every_lesson_then_set_hours_on_one_page(ce, staff, client_for):
    from ce.models import LessonHours
    from tests import factories

    new = factories.make_lesson(ce.credit.course, slug="new-lesson")
    client = client_for(staff)
    client.post(
        "/admin/ce/coursecredit/",
        {"action": "add_lesson_hours", "_selected_action": [ce.credit.pk]},
    )
    row = LessonHours.objects.get(lesson=new)
    assert row.chapter == 0
    assert LessonHours.objects.count() == 3

    rows = list(LessonHours.objects.order_by("pk"))
    form = {"form-TOTAL_FORMS": "3", "form-INITIAL_FORMS": "3", "_save": "Save"}
    for n, r in enumerate(rows):
        form |= {f"form-{n}-id": r.pk, f"form-{n}-chapter": "2", f"form-{n}-video": "0.5"}
        form |= {f"form-{n}-podcast": "0.75"}
    response = client.post("/admin/ce/lessonhours/", form)

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.chapter, row.video, row.podcast) == (2, Decimal("0.5"), Decimal("0.75"))
