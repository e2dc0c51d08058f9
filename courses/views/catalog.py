"""The public program pages (home, course pages) and the learner's dashboard."""

from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.views.decorators.cache import never_cache

from accounts.models import User
from accounts.roles import INSTRUCTOR
from bookmarks.models import Bookmark
from courses.models import (
    Cohort,
    CohortQuerySet,
    Course,
    FaqItem,
    Testimonial,
    granted_runs,
    has_course_access,
    is_member,
)
from lessons.models import Lesson, Note, Progress
from lib.typed import AuthenticatedHttpRequest
from zoomgroups.services import next_session_for

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class OpenCohorts(TypedDict):
    """What `open_cohorts()` prefetches onto a course, and the first of them that `home` sets."""

    open_cohorts: list[Cohort]
    open_cohort: Cohort | None


if TYPE_CHECKING:
    CourseWithOpenCohorts = WithAnnotations[Course, OpenCohorts]

SYLLABUS_FIELDS = ("id", "course_id", "order", "slug", "title", "summary", "free_preview")

# Partials other features provide; a page includes them once they exist.
ENROL_CTA_TEMPLATE = "courses/enrol/_cta.html"
NEWSLETTER_SIGNUP_TEMPLATE = "newsletter/_signup_form.html"


# The dashboard lists this many saved items, newest first.
SAVED_ITEMS_SHOWN = 30


def optional_template(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def open_cohorts() -> Prefetch[str, CohortQuerySet, str]:
    return Prefetch(
        "cohorts",
        queryset=Cohort.objects.open_for_enrolment().order_by("starts_on"),
        to_attr="open_cohorts",
    )


def home(request: HttpRequest) -> HttpResponse:
    courses = cast(
        "list[CourseWithOpenCohorts]",
        list(
            # What the cards and enrol options show: not the course pages' descriptions.
            Course.objects.only(
                "id", "number", "title", "subtitle", "slug", "textbook_title", "textbook_url"
            ).prefetch_related(
                Prefetch(
                    "lessons",
                    queryset=Lesson.objects.only("id", "course_id", "title").order_by(
                        "order", "id"
                    ),
                    to_attr="syllabus_lessons",
                ),
                open_cohorts(),
            )
        ),
    )
    for course in courses:
        course.open_cohort = course.open_cohorts[0] if course.open_cohorts else None
    instructor = (
        User.objects.filter(groups__name=INSTRUCTOR, is_active=True)
        .exclude(bio="")
        .order_by("date_joined")
        .only("display_name", "credentials", "bio")
        .first()
    )
    # The FAQ links each textbook the courses follow once (sold separately; set by staff).
    textbooks = {c.textbook_url: c.textbook_label for c in courses if c.textbook_url}
    context = {
        "courses": courses,
        "textbooks": [{"url": url, "title": title} for url, title in textbooks.items()],
        "faq_items": FaqItem.objects.filter(published=True).only("question", "answer"),
        "testimonials": Testimonial.objects.filter(published=True).only("quote", "name", "role"),
        "instructor": instructor,
        "enrol_cta_template": optional_template(ENROL_CTA_TEMPLATE),
        "newsletter_signup_template": optional_template(NEWSLETTER_SIGNUP_TEMPLATE),
    }
    return render(request, "home.html", context)


def course(request: HttpRequest, slug: str) -> HttpResponse:
    """The syllabus is public; lessons open for learners of the course, staff, or as previews."""
    course = cast(
        "CourseWithOpenCohorts",
        get_object_or_404(Course.objects.prefetch_related(open_cohorts()), slug=slug),
    )
    has_access = has_course_access(request.user, course.pk)
    # Only what the syllabus shows and which materials a lesson has: not the chapter itself
    # nor its search copies (plain text and vector, tens of kilobytes per lesson), transcripts
    # or captions (issue 9). Ordered within the course: the model's default
    # ordering joins the course table.
    lessons = list(course.lessons.with_material_flags(*SYLLABUS_FIELDS).order_by("order", "id"))
    progress = {}
    if request.user.is_authenticated and has_access:
        progress = {
            p.lesson_id: p
            for p in Progress.objects.filter(user=request.user, lesson__course=course)
        }
    rows = [
        {
            "lesson": lesson,
            "open": has_access or lesson.free_preview,
            "completed": bool(lesson.pk in progress and progress[lesson.pk].completed_at),
            "done": progress[lesson.pk].done_materials if lesson.pk in progress else [],
        }
        for lesson in lessons
    ]
    notes = []
    if request.user.is_authenticated:
        # The learner's own notes (nobody else's, staff included), in syllabus order.
        by_lesson = {
            n.lesson_id: n
            for n in Note.objects.filter(user=request.user, lesson__course=course).only(
                "lesson_id", "text", "updated_at"
            )
        }
        notes = [
            {
                "lesson": lesson,
                "note": by_lesson[lesson.pk],
                "open": has_access or lesson.free_preview,
            }
            for lesson in lessons
            if lesson.pk in by_lesson
        ]
    response = render(
        request,
        "courses/course.html",
        {
            "course": course,
            "rows": rows,
            "notes": notes,
            "has_access": has_access,
            "cohort": course.open_cohorts[0] if course.open_cohorts else None,
            "enrol_cta_template": optional_template(ENROL_CTA_TEMPLATE),
        },
    )
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
    return response


def course_progress(user: User) -> list[dict[str, Any]]:
    """The courses `user` may open, with the share of lesson materials they have used."""
    if not is_member(user):  # known from the menu's access check: no query
        return []
    courses = (
        Course.objects.accessible_to(user)
        .only("id", "number", "title", "slug")  # what a trimester card shows
        .with_progress_of(user)
        .order_by("order", "number")
    )
    return [
        {
            "course": course,
            "completed": course.lessons_completed,  # type: ignore[attr-defined]
            "percent": course.progress_percent,
        }
        for course in courses
    ]


@never_cache
@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The learner's home. Other features add their own keys to `context` and a section to
    templates/courses/dashboard.html (see the marked spots there)."""
    user = request.user
    # The card shows a lesson's title and link, its course and a time: plain values, not
    # two model instances with their chapters deferred (a quarter of the page's Python).
    last_seen = (
        Progress.objects.filter(user=user, lesson__in=Lesson.objects.visible_to(user))
        .order_by("-last_seen_at")
        .values_list(
            "last_seen_at",
            "lesson__title",
            "lesson__slug",
            "lesson__course__slug",
            "lesson__course__number",
            "lesson__course__title",
        )
        .first()
    )
    continue_card = None
    if last_seen:
        seen_at, title, lesson_slug, course_slug, course_number, course_title = last_seen
        continue_card = {
            "url": reverse(
                "lessons:lesson", kwargs={"course_slug": course_slug, "slug": lesson_slug}
            ),
            "title": title,
            "course_number": course_number,
            "course_title": course_title,
            "last_seen_at": seen_at,
        }
    cohorts_by_course: dict[int, list[str]] = {}
    for run in granted_runs(user):  # the learner's own runs, which the menu reads anyway
        cohorts_by_course.setdefault(run.course_id, []).append(run.name)
    course_rows = course_progress(user)
    for row in course_rows:
        row["cohorts"] = cohorts_by_course.get(row["course"].pk, [])
    feed_path = reverse("lessons:podcast_feed", kwargs={"token": user.feed_token})
    context = {
        "course_rows": course_rows,
        "continue_card": continue_card,
        "podcast_feed_url": request.build_absolute_uri(feed_path),
        "next_group_session": next_session_for(user),
        # What the learner saved for later and may still open (one query).
        "saved_items": list(Bookmark.objects.shown_to(user)[:SAVED_ITEMS_SHOWN]),
    }
    return render(request, "courses/dashboard.html", context)
