from typing import Any, TypedDict, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django_stubs_ext import WithAnnotations

from courses.models import Cohort, Enrollment
from lessons.models import Lesson, Progress


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "—"


def learners_of_course() -> Coalesce:
    """Learners with access to the lesson's course (any cohort), counted once each."""
    return Coalesce(
        Subquery(
            Enrollment.objects.filter(
                cohort__course=OuterRef("course"), status__in=Enrollment.ACCESS_STATUSES
            )
            .order_by()
            .values("cohort__course")
            .annotate(n=Count("user", distinct=True))
            .values("n")[:1]
        ),
        0,
        output_field=IntegerField(),
    )


def completions_by_learners() -> Coalesce:
    """Learners with access to the course who completed the lesson (not staff, not refunded)."""
    return Coalesce(
        Subquery(
            Progress.objects.filter(
                lesson=OuterRef("pk"),
                completed_at__isnull=False,
                user__enrollments__cohort__course=OuterRef("course"),
                user__enrollments__status__in=Enrollment.ACCESS_STATUSES,
            )
            .order_by()
            .values("lesson")
            .annotate(n=Count("user", distinct=True))
            .values("n")[:1]
        ),
        0,
        output_field=IntegerField(),
    )


class Counts(TypedDict):
    started: int
    completed: int


def completion_by_lesson(cohort: Cohort) -> tuple[int, list[dict[str, Any]]]:
    """(learners in the cohort, one row per lesson of its course with started/completed counts)."""
    learner_ids = Enrollment.objects.filter(
        cohort=cohort, status__in=Enrollment.ACCESS_STATUSES
    ).values("user_id")
    learners = learner_ids.count()
    lessons = (
        Lesson.objects.filter(course_id=cohort.course_id)
        .order_by("order", "id")
        .annotate(
            started=Count("progress", filter=Q(progress__user__in=learner_ids)),
            completed=Count(
                "progress",
                filter=Q(progress__user__in=learner_ids, progress__completed_at__isnull=False),
            ),
        )
    )
    rows = [
        {
            "lesson": lesson,
            "started": lesson.started,
            "completed": lesson.completed,
            "percent": percent(lesson.completed, learners),
            "width": round(100 * lesson.completed / learners) if learners else 0,
        }
        # LessonQuerySet is typed for plain lessons; these carry the two counts.
        for lesson in cast("QuerySet[WithAnnotations[Lesson, Counts]]", lessons)
    ]
    return learners, rows


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    list_display = [
        "title",
        "course",
        "order",
        "free_preview",
        "material_count",
        "completion",
        "preview_link",
    ]
    list_display_links = ["title"]
    list_editable = ["order", "free_preview"]
    list_filter = ["course", "free_preview"]
    list_select_related = ["course"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview_link", "material_count", "podcast_bytes_note"]
    change_list_template = "lessons/admin/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["course", "order", "title", "slug", "summary", "free_preview"]}),
        ("Book chapter", {"fields": ["chapter"]}),
        (
            "Video introduction",
            {
                "fields": ["video_url", "video_file", "video_captions"],
                "description": "A YouTube or Vimeo link, or an uploaded file with captions.",
            },
        ),
        (
            "Podcast episode",
            {
                "fields": [
                    "podcast_file",
                    "podcast_url",
                    "podcast_bytes",
                    "podcast_bytes_note",
                    "podcast_duration",
                    "podcast_transcript",
                ]
            },
        ),
        ("Preview", {"fields": ["preview_link", "material_count"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lesson]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                learners=learners_of_course(),
                completions=completions_by_learners(),
            )
        )

    @admin.display(description="completed by")
    def completion(self, lesson: Lesson) -> str:
        learners = getattr(lesson, "learners", 0)
        completions = getattr(lesson, "completions", 0)
        return f"{completions} of {learners} learners ({percent(completions, learners)})"

    @admin.display(description="preview")
    def preview_link(self, lesson: Lesson) -> str:
        if not lesson.pk:
            return "Save the lesson first."
        return format_html(
            '<a href="{}?preview=learner" target="_blank" rel="noopener">Preview as a learner</a>',
            lesson.get_absolute_url(),
        )

    @admin.display(description="")
    def podcast_bytes_note(self, lesson: Lesson) -> str:
        return "The size is filled in by itself for an uploaded file."

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.completion_view)
        return [path("completion/", view, name="lessons_lesson_completion"), *super().get_urls()]

    def completion_view(self, request: HttpRequest) -> HttpResponse:
        """Per cohort: how many of its learners completed each lesson."""
        if not request.user.has_perm("lessons.view_progress"):
            raise PermissionDenied
        cohorts = Cohort.objects.select_related("course").order_by("-starts_on")
        cohort = None
        learners: int = 0
        rows: list[dict[str, Any]] = []
        cohort_id = request.GET.get("cohort", "")
        if cohort_id.isdigit():
            cohort = cohorts.filter(pk=int(cohort_id)).first()
        if cohort is not None:
            learners, rows = completion_by_lesson(cohort)
        context = {
            **self.admin_site.each_context(request),
            "title": "Lesson completion by trimester run",
            "opts": self.model._meta,
            "cohorts": cohorts,
            "cohort": cohort,
            "learners": learners,
            "rows": rows,
            "changelist_url": reverse("admin:lessons_lesson_changelist"),
        }
        return TemplateResponse(request, "lessons/admin/completion.html", context)


@admin.register(Progress)
class ProgressAdmin(admin.ModelAdmin[Progress]):
    list_display = [
        "user",
        "lesson",
        "chapter_done_at",
        "video_done_at",
        "podcast_done_at",
        "completed_at",
        "last_seen_at",
    ]
    list_filter = ["lesson__course", "completed_at"]
    list_select_related = ["user", "lesson__course"]
    search_fields = ["user__email", "user__display_name", "lesson__title"]
    date_hierarchy = "last_seen_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Progress | None = None) -> bool:
        return False
