"""CE in the admin: hours, sponsor statements and completion rules, the post-test and the
evaluation questions, certificates (revoke or reissue with a reason), and the reports per run
(ce/reports.py): evaluation results without names, and hours per learner as CSV."""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.models import User
from ce import reports, services
from ce.forms import RevokeForm
from ce.models import (
    Certificate,
    CourseCredit,
    EvaluationQuestion,
    EvaluationResponse,
    LessonHours,
    PostTest,
    PostTestChoice,
    PostTestQuestion,
    PostTestResult,
    SessionHours,
)
from lessons.models import Lesson


@admin.register(EvaluationQuestion)
class EvaluationQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "course", "kind", "required", "order"]
    list_editable = ["kind", "required", "order"]
    list_filter = ["course"]


@admin.register(CourseCredit)
class CourseCreditAdmin(admin.ModelAdmin):
    list_display = ["course", "approving_body", "provider_number", "min_live_groups"]
    fieldsets = [
        (None, {"fields": ["course"]}),
        ("Sponsor", {"fields": ["approving_body", "provider_number", "sponsor_statement"]}),
        ("Completion rule", {"fields": ["min_live_groups", "recordings_count"]}),
    ]
    actions = ["add_lesson_hours"]

    @admin.action(description="List every lesson of these courses under home-study hours")
    def add_lesson_hours(self, request: HttpRequest, queryset) -> None:
        """Rows (0 hours) for lessons that have none, to fill in on one page."""
        lessons = Lesson.objects.filter(course__ce_credit__in=queryset, ce_hours__isnull=True)
        created = LessonHours.objects.bulk_create(LessonHours(lesson=lesson) for lesson in lessons)
        messages.success(request, f"{len(created)} lessons added to Home-study hours of lessons.")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("reports/", view(self.reports_view), name="ce_reports"),
            path(
                "reports/<int:cohort_id>/evaluations/",
                view(self.evaluations_view),
                name="ce_report_evaluations",
            ),
            path(
                "reports/<int:cohort_id>/evaluations.csv",
                view(self.evaluations_csv),
                name="ce_report_evaluations_csv",
            ),
            path(
                "reports/<int:cohort_id>/hours.csv",
                view(self.hours_csv),
                name="ce_report_hours_csv",
            ),
            *super().get_urls(),
        ]

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm("ce.view_evaluationresponse"):
            raise PermissionDenied

    def reports_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "CE reports per trimester run",
            "cohorts": reports.cohorts_with_ce(),
        }
        return TemplateResponse(request, "admin/ce/reports.html", context)

    def evaluations_view(self, request: HttpRequest, cohort_id: int) -> HttpResponse:
        self._check(request)
        cohort = reports.get_cohort(cohort_id)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Evaluations: {cohort.course} · {cohort.name}",
            "cohort": cohort,
            "summary": reports.evaluation_summary(cohort),
        }
        return TemplateResponse(request, "admin/ce/evaluations.html", context)

    def evaluations_csv(self, request: HttpRequest, cohort_id: int) -> HttpResponse:
        self._check(request)
        return reports.evaluations_csv(reports.get_cohort(cohort_id), request=request)

    def hours_csv(self, request: HttpRequest, cohort_id: int) -> HttpResponse:
        if not request.user.has_perm("ce.view_certificate"):
            raise PermissionDenied
        return reports.hours_csv(reports.get_cohort(cohort_id), request=request)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra = {"reports_url": reverse("admin:ce_reports")} | (extra_context or {})
        return super().changelist_view(request, extra)


@admin.register(LessonHours)
class LessonHoursAdmin(admin.ModelAdmin):
    list_display = ["lesson", "course", "chapter", "video", "podcast"]
    list_editable = ["chapter", "video", "podcast"]
    list_select_related = ["lesson__course"]
    list_filter = ["lesson__course"]
    autocomplete_fields = ["lesson"]
    search_fields = ["lesson__title"]

    @admin.display(ordering="lesson__course__number")
    def course(self, obj: LessonHours) -> str:
        return str(obj.lesson.course)


@admin.register(SessionHours)
class SessionHoursAdmin(admin.ModelAdmin):
    list_display = ["session", "hours"]
    list_select_related = ["session"]
    raw_id_fields = ["session"]


class PostTestQuestionInline(admin.TabularInline):
    model = PostTestQuestion
    extra = 1
    fields = ["order", "text", "edit_choices"]
    readonly_fields = ["edit_choices"]

    @admin.display(description="choices")
    def edit_choices(self, obj: PostTestQuestion) -> str:
        if not obj.pk:
            return "Save first, then add the choices."
        url = reverse("admin:ce_posttestquestion_change", args=[obj.pk])
        return format_html('<a href="{}">{} choices</a>', url, obj.choices.count())


@admin.register(PostTest)
class PostTestAdmin(admin.ModelAdmin):
    list_display = ["course", "pass_percent"]
    inlines = [PostTestQuestionInline]


class PostTestChoiceInline(admin.TabularInline):
    model = PostTestChoice
    extra = 3


@admin.register(PostTestQuestion)
class PostTestQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "post_test", "order"]
    list_filter = ["post_test"]
    inlines = [PostTestChoiceInline]


@admin.register(PostTestResult)
class PostTestResultAdmin(admin.ModelAdmin):
    list_display = ["user", "post_test", "best_percent", "best_at", "passed_at", "attempts"]
    list_select_related = ["user", "post_test__course"]
    list_filter = ["post_test"]
    readonly_fields = ["user", "post_test", "best_percent", "best_at", "passed_at", "attempts"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(EvaluationResponse)
class EvaluationResponseAdmin(admin.ModelAdmin):
    """Responses without names: staff read results, not who wrote them."""

    list_display = ["__str__", "course", "cohort", "submitted_at"]
    list_filter = ["course", "cohort"]
    fields = ["course", "cohort", "submitted_at"]
    readonly_fields = ["course", "cohort", "submitted_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "name", "course", "cohort", "issued_at", "status"]
    list_select_related = ["course", "cohort"]
    list_filter = ["course", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "code"]
    readonly_fields = [
        *("code", "user", "course", "cohort", "name", "credentials", "program", "trimester"),
        *("live_hours", "home_study_hours", "started_on", "completed_on", "approving_body"),
        *("provider_number", "sponsor_statement", "issued_at", "revoked_at", "revoked_reason"),
        *("replaces", "holder_erased_at", "links"),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="status")
    def status(self, obj: Certificate) -> str:
        return "valid" if obj.is_valid else "revoked"

    @admin.display(description="links")
    def links(self, obj: Certificate) -> str:
        revoke = reverse("admin:ce_certificate_revoke", args=[obj.pk])
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}">Verification page</a>{}',
            obj.get_absolute_url(),
            obj.get_verify_url(),
            format_html(' · <a href="{}">Revoke or reissue…</a>', revoke) if obj.is_valid else "",
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.revoke_view)
        return [path("<int:pk>/revoke/", view, name="ce_certificate_revoke"), *super().get_urls()]

    def revoke_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        certificate = get_object_or_404(Certificate.objects.valid(), pk=pk)
        if not self.has_change_permission(request, certificate):
            raise PermissionDenied
        form = RevokeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            reason, by = form.cleaned_data["reason"], cast("User", request.user)
            if form.cleaned_data["action"] == "reissue":
                try:
                    new = services.reissue_certificate(
                        certificate=certificate,
                        reason=reason,
                        by=by,
                        name=" ".join(form.cleaned_data["name"].split()),
                        credentials=" ".join(form.cleaned_data["credentials"].split()),
                        request=request,
                    )
                except services.CertificateRefused as refused:
                    messages.error(request, str(refused))
                    return redirect("admin:ce_certificate_change", certificate.pk)
                messages.success(request, f"Revoked, and reissued as {new}.")
                return redirect("admin:ce_certificate_change", new.pk)
            services.revoke_certificate(
                certificate=certificate, reason=reason, by=by, request=request
            )
            messages.success(request, f"{certificate} is revoked.")
            return redirect("admin:ce_certificate_change", certificate.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revoke or reissue {certificate}",
            "certificate": certificate,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/ce/revoke.html", context)
