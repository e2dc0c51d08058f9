"""The public program pages (home, course pages) and the learner's dashboard."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict, cast

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache

from accounts.models import User, public_name
from accounts.roles import INSTRUCTOR
from courses.models import (
    Cohort,
    Course,
    FaqItem,
    Testimonial,
    granted_runs,
    has_course_access,
    is_member,
)
from lessons.models import Lesson, Progress
from lib.fragments import render_cached
from lib.rows import FixedQuery
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


def optional_template(name: str) -> str | None:
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


# What the home page lists, the same SQL for everyone on every request: compiled once (issue 9).
LESSON_TITLES = FixedQuery(
    lambda: Lesson.objects.order_by("order", "id").values_list("course_id", "title", named=True)
)
FAQ = FixedQuery(
    lambda: FaqItem.objects.filter(published=True).values_list("question", "answer", named=True)
)
TESTIMONIALS = FixedQuery(
    lambda: Testimonial.objects.filter(published=True).values_list(
        "quote", "name", "role", named=True
    )
)
HOME_INSTRUCTOR = FixedQuery(
    lambda: (
        User.objects.filter(groups__name=INSTRUCTOR, is_active=True)
        .exclude(bio="")
        .order_by("date_joined")
        .values_list("display_name", "credentials", "bio", named=True)[:1]
    )
)


def open_cohorts() -> Prefetch:
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
            Course.objects.only("id", "number", "title", "subtitle", "slug")
        ),
    )
    # The cards list lesson titles: plain strings, not sixty model instances.
    titles: dict[int, list[str]] = {}
    for course_id, title in LESSON_TITLES.rows():
        titles.setdefault(course_id, []).append(title)
    # Every course is on the page, so every open run is: one plain query, grouped here (the
    # prefetch machinery cost as much as the query itself).
    by_id = {course.pk: course for course in courses}
    for course in courses:
        course.open_cohorts = []
        course.lesson_titles = titles.get(course.pk, [])  # type: ignore[attr-defined]
    for cohort in Cohort.objects.open_for_enrolment().order_by("starts_on"):
        cohort.course = by_id[cohort.course_id]  # as a prefetch would: no query for it later
        cohort.course.open_cohorts.append(cohort)  # type: ignore[attr-defined]
    for course in courses:
        course.open_cohort = course.open_cohorts[0] if course.open_cohorts else None
    instructor = None
    for display_name, credentials, bio in HOME_INSTRUCTOR.rows():
        instructor = {"public_name": public_name(display_name, credentials), "bio": bio}
    faq_items = FAQ.rows()
    context = {
        "courses": courses,
        # Rendered once for everyone: keyed by everything the cards and the FAQ show.
        "program_cards": render_cached(
            "courses/_home_program.html",
            [(program_shown(courses), {"courses": courses})],
        )[0],
        "faq_section": render_cached(
            "courses/_home_faq.html",
            [
                (
                    tuple((item.question, item.answer) for item in faq_items),
                    {"faq_items": faq_items},
                )
            ],
        )[0],
        "faq_items": faq_items,
        "testimonials": TESTIMONIALS.rows(),
        "instructor": instructor,
        "enrol_cta_template": optional_template(ENROL_CTA_TEMPLATE),
        "newsletter_signup_template": optional_template(NEWSLETTER_SIGNUP_TEMPLATE),
    }
    return render(request, "home.html", context)


def program_shown(courses: Sequence[Course]) -> tuple:
    return tuple(
        (
            c.number,
            c.title,
            c.subtitle,
            c.slug,
            tuple(c.lesson_titles),  # type: ignore[attr-defined]
        )
        for c in courses
    )


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
            "progress": progress.get(lesson.pk),
            "open": has_access or lesson.free_preview,
        }
        for lesson in lessons
    ]
    response = render(
        request,
        "courses/course.html",
        {
            "course": course,
            "rows": rows,
            "syllabus": syllabus(course, rows, has_access, request.user.is_authenticated),
            "has_access": has_access,
            "cohort": course.open_cohorts[0] if course.open_cohorts else None,
            "enrol_cta_template": optional_template(ENROL_CTA_TEMPLATE),
        },
    )
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
    return response


def syllabus(
    course: Course, rows: list[dict], has_access: bool, signed_in: bool
) -> list[SafeString]:
    """The syllabus rows, each rendered once for everyone who sees it the same way (issue 9)."""
    items = []
    for number, row in enumerate(rows, start=1):
        lesson, progress = row["lesson"], row["progress"]
        done = tuple(progress.done_materials) if progress else ()
        completed = bool(progress and progress.completed_at)
        materials = tuple(lesson.materials)
        shown = (
            course.slug,
            number,
            lesson.slug,
            lesson.title,
            lesson.summary,
            lesson.free_preview,
            materials,
            row["open"],
            has_access,
            signed_in,
            completed,
            done,
        )
        context = {
            "course_slug": course.slug, "number": number, "lesson": lesson, "open": row["open"],
            "has_access": has_access, "signed_in": signed_in, "completed": completed,
            "materials": materials, "done": done,
        }  # fmt: skip
        items.append((shown, context))
    return render_cached("courses/_syllabus_row.html", items)


def course_progress(user: User) -> list[dict]:
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
    }
    return render(request, "courses/dashboard.html", context)
