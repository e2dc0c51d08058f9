"""The course page: a public syllabus; lessons open for learners, staff and as previews."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from courses.models import Course, Enrollment, has_course_access, is_member
from lessons.models import Progress
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons(course):
    return [
        factories.make_lesson(course, title="Psychopathology", order=1, free_preview=True),
        factories.make_lesson(course, title="Change mechanisms", order=2),
    ]


def course_url(course) -> str:
    return reverse("courses:course", kwargs={"slug": course.slug})


def lesson_link(lesson) -> str:
    return 'href="' + lesson.get_absolute_url() + '"'


def test_visitor_sees_the_syllabus_and_only_the_preview_link(client, course, cohort, lessons):
    response = client.get(course_url(course))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Psychopathology" in page and "Change mechanisms" in page
    assert lesson_link(lessons[0]) in page
    assert lesson_link(lessons[1]) not in page
    assert "Free preview" in page
    assert cohort.name in page  # the call to action for the open run


def test_course_without_an_open_run_offers_the_waitlist(client, course, lessons):
    page = client.get(course_url(course)).content.decode()
    assert "Join the waitlist" in page


def test_learner_sees_every_lesson_linked_with_material_progress(client_for, learner, lessons):
    now = timezone.now()
    Progress.objects.create(user=learner, lesson=lessons[1], video_done_at=now)

    response = client_for(learner).get(course_url(lessons[0].course))

    page = response.content.decode()
    assert lesson_link(lessons[0]) in page and lesson_link(lessons[1]) in page
    assert "✓ Video" in page
    assert "You have access to every lesson" in page
    assert "no-store" in response["Cache-Control"]


def test_syllabus_badges_say_which_materials_a_lesson_has_without_reading_chapters(
    client_for, learner, course
):
    factories.make_lesson(course, title="Reading only", order=1, video_url="")
    factories.make_lesson(course, title="Listening only", order=2, chapter="", video_url="",
                          podcast_url="https://example.com/episode.mp3")  # fmt: skip
    client = client_for(learner)

    response = client.get(course_url(course))

    badges = [
        [li.strip() for li in re.findall(r'<li class="badge[^"]*">([^<]+)', item)]
        for item in response.content.decode().split('class="lesson-number"')[1:]
    ]
    assert badges == [["Chapter"], ["Podcast"]]
    lessons = [row["lesson"] for row in response.context["rows"]]
    assert all("chapter" in lesson.get_deferred_fields() for lesson in lessons)
    assert [lesson.materials for lesson in lessons] == [["chapter"], ["podcast"]]


def test_refunded_learner_sees_the_public_syllabus_only(client_for, learner, lessons):
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.REFUNDED)

    page = client_for(learner).get(course_url(lessons[0].course)).content.decode()

    assert lesson_link(lessons[1]) not in page
    assert "You have access" not in page


def test_other_learner_sees_the_public_syllabus_only(client_for, other_learner, lessons):
    page = client_for(other_learner).get(course_url(lessons[0].course)).content.decode()
    assert lesson_link(lessons[1]) not in page


def test_staff_see_every_lesson_linked(client_for, staff, lessons):
    page = client_for(staff).get(course_url(lessons[0].course)).content.decode()
    assert lesson_link(lessons[1]) in page


def test_unknown_course_gets_404(client):
    assert client.get("/courses/no-such-course/").status_code == 404


def test_course_page_description_is_sanitized(client, course):
    from courses.models import Course

    Course.objects.filter(pk=course.pk).update(
        description='<p onclick="x()">About</p><script>alert(1)</script>'
    )
    page = client.get(course_url(course)).content.decode()
    assert "About" in page
    assert "alert(1)" not in page and "onclick" not in page


def test_course_page_queries_are_the_same_with_3_and_30(
    client_for, learner, course, cohort, django_assert_max_num_queries, django_assert_num_queries
):
    for i in range(3):
        lesson = factories.make_lesson(course, order=i)
        Progress.objects.create(user=learner, lesson=lesson)
    c = client_for(learner)
    with django_assert_max_num_queries(12) as small:
        assert c.get(course_url(course)).status_code == 200
    for i in range(27):
        lesson = factories.make_lesson(course, order=10 + i)
        Progress.objects.create(user=learner, lesson=lesson)
        person = factories.make_user()
        factories.enrol(person, cohort)
        Progress.objects.create(user=person, lesson=lesson)
    with django_assert_num_queries(len(small.captured_queries)):
        assert c.get(course_url(course)).status_code == 200


@pytest.mark.parametrize(
    "persona", ["visitor", "outsider", "learner", "other_learner", "staff", "refunded", "comped"]
)
def test_per_request_access_check_agrees_with_the_course_queryset(request, course, persona):
    """`has_course_access` (cached on the user for one request) says what `accessible_to` says."""
    if persona == "visitor":
        user = AnonymousUser()
    elif persona in ("refunded", "comped"):
        user = factories.make_user(f"{persona}@example.com")
        factories.enrol(user, factories.make_cohort(course), status=persona)
    else:
        user = request.getfixturevalue(persona)
    fresh = User.objects.get(pk=user.pk) if user.is_authenticated else user

    expected = Course.objects.accessible_to(fresh).filter(pk=course.pk).exists()
    assert has_course_access(fresh, course.pk) is expected
    assert is_member(fresh) is (persona in ("learner", "other_learner", "staff", "comped"))


def test_access_grants_are_the_access_granting_enrolments_of_the_user():
    """`access_grants` (read once per request) says what the ORM's rule says."""
    from courses.models import access_grants, granted_runs

    learner, other = factories.make_user(), factories.make_user()
    start = timezone.localdate()
    runs = {
        status: factories.make_cohort(starts_on=start - dt.timedelta(days=n))
        for n, status in enumerate(Enrollment.Status.values)
    }
    for status, run in runs.items():
        factories.enrol(learner, run, status=status)
    factories.enrol(other, factories.make_cohort())  # someone else's seat
    expected = dict(
        Enrollment.objects.for_user(learner)
        .granting_access()
        .values_list("cohort_id", "cohort__course_id")
    )

    assert access_grants(learner) == expected
    assert set(expected) == {runs[s].pk for s in Enrollment.ACCESS_STATUSES}
    assert access_grants(AnonymousUser()) == {}
    granted = sorted((runs[s] for s in Enrollment.ACCESS_STATUSES), key=lambda r: r.starts_on)
    assert [run.name for run in granted_runs(learner)] == [run.name for run in granted]


def test_a_page_reads_the_learners_access_once_however_often_it_asks(client_for, learner, lessons):
    """The menu, the enrol box and the page's own check all ask about access; the learner's
    access-granting enrolments are read once per request (`granted_runs`)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(learner)
    # lessons[1] is no free preview: a 200 there means the learner's access was granted.
    for url in (course_url(lessons[0].course), lessons[1].get_absolute_url()):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        access_reads = [
            q for q in ctx.captured_queries if '"courses_enrollment"."user_id" =' in q["sql"]
        ]
        assert len(access_reads) == 1, url
