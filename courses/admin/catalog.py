"""Admin of the curriculum: courses with their lessons, runs with their seats, the FAQ and
testimonials; the run filter and busy message the other admin pages share."""

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from courses import services
from courses import tasks as enrolment_tasks
from courses.models import Cohort, CohortQuerySet, Course, FaqItem, Testimonial
from lessons.models import Lesson
from lib.admin_lists import QuickRowsMixin
from outbox.services import queue_task

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from courses.models import SeatCounts

    CohortWithSeats = WithAnnotations[Cohort, SeatCounts]


class LessonInline(admin.TabularInline[Lesson, Course]):
    """The course's lessons in order: change the order here or in the lesson list."""

    model = Lesson
    fields = ["order", "title", "free_preview", "material_count"]
    readonly_fields = ["title", "material_count"]
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Course | None = None) -> bool:
        return False


def busy_message(what: object) -> str:
    """What an action says of an item another transaction kept locked past the lock timeout
    (services.EnrolmentBusy): nothing changed for it, and it can simply be tried again."""
    return f"{what}: busy with another change, nothing was done. Try again in a minute."


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Course]):
    list_display = ["number", "title", "slug", "order", "view_on_site_link"]
    prepopulated_fields = {"slug": ["title"]}
    search_fields = ["title", "subtitle"]
    inlines = [LessonInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="page")
    def view_on_site_link(self, course: Course) -> str:
        return format_html('<a href="{}">Course page</a>', course.get_absolute_url())


class RunFilter(admin.SimpleListFilter):
    """Filter by cohort, listing runs with their course in one query (as plain values)."""

    title = "trimester run"
    parameter_name = "run"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        # Django compares the choice with the query string as text either way.
        return [(str(pk), label) for pk, label in Cohort.objects.labels()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # Any model with a `cohort`: enrolments, holds, offers, waitlist entries.
        value = self.value()
        return queryset.filter(cohort_id=value) if value and value.isdigit() else queryset


@admin.register(Cohort)
class CohortAdmin(QuickRowsMixin, admin.ModelAdmin[Cohort]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
    list_display = [
        "__str__",
        "starts_on",
        "status",
        "seat_cap",
        "taken",
        "held",
        "free",
        "waitlist",
        "price_display",
        "enrol_link",
    ]
    list_filter = ["status", "course"]
    search_fields = ["name", "course__title"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_on"
    actions = ["offer_free_seats"]

    def get_queryset(self, request: HttpRequest) -> CohortQuerySet:
        queryset = cast(CohortQuerySet, super().get_queryset(request))
        return queryset.select_related("course").with_seat_counts()

    @admin.display(description="taken", ordering="seats_taken")
    def taken(self, cohort: "CohortWithSeats") -> int:
        return cohort.seats_taken

    @admin.display(description="held", ordering="seats_held")
    def held(self, cohort: "CohortWithSeats") -> int:
        return cohort.seats_held

    @admin.display(description="free")
    def free(self, cohort: "CohortWithSeats") -> int:
        return max(cohort.seat_cap - cohort.seats_taken - cohort.seats_held, 0)

    @admin.display(description="waitlist", ordering="waitlist_length")
    def waitlist(self, cohort: "CohortWithSeats") -> int:
        return cohort.waitlist_length

    @admin.display(description="")
    def enrol_link(self, cohort: Cohort) -> str:
        url = reverse("admin:courses_enrollment_add") + f"?cohort={cohort.pk}"
        return format_html('<a href="{}">Enrol a person</a>', url)

    def save_model(
        self, request: HttpRequest, obj: Cohort, form: ModelForm[Cohort], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        opened_or_more_seats = {"status", "seat_cap", "enrolment_opens_at", "enrolment_closes_at"}
        if obj.status == Cohort.Status.OPEN and opened_or_more_seats & set(form.changed_data):
            # Opening a run (or adding seats) offers its free seats to the waitlist, in order.
            queue_task(enrolment_tasks.offer_free_seats, cohort_id=obj.pk)

    @admin.action(description="Offer free seats to the waitlist now", permissions=["change"])
    def offer_free_seats(self, request: HttpRequest, queryset: QuerySet[Cohort]) -> None:
        sent = 0
        for cohort in queryset:
            try:
                sent += len(services.offer_free_seats(cohort_id=cohort.pk))
            except services.EnrolmentBusy:
                self.message_user(request, busy_message(cohort), messages.ERROR)
        self.message_user(request, f"{sent} offer(s) sent.", messages.SUCCESS)


@admin.register(FaqItem)
class FaqItemAdmin(admin.ModelAdmin[FaqItem]):
    list_display = ["question", "order", "published"]
    list_editable = ["order", "published"]


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin[Testimonial]):
    list_display = ["name", "role", "order", "published"]
    list_editable = ["order", "published"]
