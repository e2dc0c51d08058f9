import csv
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html

from audit.models import AuditEvent
from lib.admin_lists import CappedCountPaginator, QuickRowsMixin
from lib.typed import AuthenticatedHttpRequest
from newsletter import sending, subscriptions
from newsletter.forms import ImportForm, InfographicForm
from newsletter.models import Delivery, Infographic, Issue, Subscriber


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_export(request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
    AuditEvent.record(
        action=AuditEvent.Action.EXPORT,
        detail=f"{queryset.count()} newsletter readers as CSV",
        request=request,
    )


def csv_response(queryset: QuerySet[Subscriber], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in subscriptions.export_rows(queryset)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Issue)
class IssueAdmin(QuickRowsMixin, admin.ModelAdmin[Issue]):
    change_form_template = "newsletter/admin/issue_change_form.html"
    list_display = ["number", "title", "status", "scheduled_for", "sent_at", "in_archive", "counts"]
    list_filter = ["status", "in_archive"]
    search_fields = ["title"]
    readonly_fields = ["status", "sent_at", "recipients_total", "sent_count", "failed_count"]
    fieldsets = [
        (None, {"fields": ["number", "title", "body"]}),
        ("Schedule and archive", {"fields": ["scheduled_for", "in_archive", "status"]}),
        ("Final counts", {"fields": ["sent_at", "recipients_total", "sent_count", "failed_count"]}),
    ]
    actions = ["schedule_selected"]

    @admin.display(description="Sent / recipients")
    def counts(self, issue: Issue) -> str:
        if issue.status != Issue.Status.SENT:
            return "—"
        return f"{issue.sent_count} / {issue.recipients_total} ({issue.failed_count} failed)"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "number": Issue.next_number(),
            "scheduled_for": Issue.default_send_time(),
            **super().get_changeform_initial_data(request),
        }

    def get_readonly_fields(self, request: HttpRequest, obj: Issue | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status in (Issue.Status.SENDING, Issue.Status.SENT):
            fields += ["number", "scheduled_for"]
        return fields

    @admin.action(description="Schedule the selected drafts", permissions=["change"])
    def schedule_selected(self, request: HttpRequest, queryset: QuerySet[Issue]) -> None:
        for issue in queryset.filter(status=Issue.Status.DRAFT):
            sending.schedule_issue(issue=issue)
        self.message_user(request, "The selected drafts are scheduled.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/preview/", wrap(self.preview_view), name="newsletter_issue_preview"),
            path(
                "<int:pk>/preview.txt", wrap(self.preview_text_view), name="newsletter_issue_text"
            ),
            path("<int:pk>/send-test/", wrap(self.send_test_view), name="newsletter_issue_test"),
            path("<int:pk>/schedule/", wrap(self.schedule_view), name="newsletter_issue_schedule"),
            path(
                "<int:pk>/progress.json",
                wrap(self.progress_view),
                name="newsletter_issue_progress",
            ),
            *super().get_urls(),
        ]

    def _issue(self, request: HttpRequest, pk: int, *, change: bool = False) -> Issue:
        issue = get_object_or_404(Issue, pk=pk)
        allowed = (
            self.has_change_permission(request, issue)
            if change
            else self.has_view_permission(request, issue)
        )
        if not allowed:
            raise PermissionDenied
        return issue

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(request, pk)
        _, _, html = sending.render_issue(issue, unsubscribe_url="#unsubscribe-link")
        return HttpResponse(html)

    def preview_text_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(request, pk)
        subject, text, _ = sending.render_issue(issue, unsubscribe_url="(unsubscribe link)")
        return HttpResponse(f"Subject: {subject}\n\n{text}", content_type="text/plain")

    def send_test_view(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(request, pk, change=True)
        if request.method == "POST":
            sending.send_test_issue(issue=issue, to=request.user.email)
            self.message_user(request, f"A test is on its way to {request.user.email}.")
        return redirect("admin:newsletter_issue_change", issue.pk)

    def schedule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        issue = self._issue(request, pk, change=True)
        if request.method == "POST":
            if request.POST.get("action") == "unschedule":
                sending.unschedule_issue(issue=issue)
                self.message_user(request, "The issue is back to draft; it will not be sent.")
            else:
                sending.schedule_issue(issue=issue)
                when = timezone.localtime(issue.scheduled_for)
                self.message_user(
                    request,
                    f"Scheduled for {when:%A %d %B %Y, %H:%M} ({when.tzname()}).",
                    messages.SUCCESS,
                )
        return redirect("admin:newsletter_issue_change", issue.pk)

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        issue = self._issue(request, pk)
        counts = sending.delivery_counts(issue.pk)
        total = sum(counts.values())
        done = total - counts["queued"] - counts["sending"]
        return JsonResponse(
            {
                "status": issue.status,
                "total": total,
                "done": done,
                "sent": counts["sent"],
                "failed": counts["failed"] + counts["bounced"],
                "skipped": counts["skipped"],
                "queued": counts["queued"] + counts["sending"],
            },
            headers={"Cache-Control": "no-store"},
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = extra_context or {}
        extra_context["default_send_time"] = Issue.default_send_time()
        extra_context["program_time_zone"] = settings.PROGRAM_TIME_ZONE
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Subscriber)
class SubscriberAdmin(QuickRowsMixin, admin.ModelAdmin[Subscriber]):
    change_list_template = "newsletter/admin/subscriber_change_list.html"
    list_display = [
        "email",
        "name",
        "status",
        "feedback",
        "source",
        "imported",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "feedback", "source", "imported"]
    search_fields = ["email", "name"]
    readonly_fields = [
        "created_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
        "feedback",
        "feedback_at",
    ]
    fields = ["email", "name", "status", "source", "imported", *readonly_fields]
    # Hundreds of thousands of readers: newest first by key (the primary key's index; there is
    # none that sorts by "created_at" alone), no second count of every reader on a filtered
    # page, no date drill-down (it reads every row for its years and months), and readers
    # counted up to a thousand.
    ordering = ["-pk"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ["export_csv", "send_confirmation", "mark_unsubscribed"]
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)

    @admin.action(description="Export the selected readers as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Subscriber]
    ) -> StreamingHttpResponse:
        audit_export(request, queryset)
        return csv_response(queryset, "tift-subscribers.csv")

    @admin.action(description="Send confirmation email (pending only)", permissions=["change"])
    def send_confirmation(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        sent = subscriptions.send_confirmations(
            subscriber_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Confirmation email sent to {sent} pending reader(s).")

    @admin.action(description="Unsubscribe the selected readers", permissions=["change"])
    def mark_unsubscribed(self, request: HttpRequest, queryset: QuerySet[Subscriber]) -> None:
        for subscriber in queryset:
            subscriptions.unsubscribe(subscriber=subscriber)
        self.message_user(request, "The selected readers are unsubscribed.")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="newsletter_subscriber_import"),
            path("export/", wrap(self.export_view), name="newsletter_subscriber_export"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            # As the reader list itself answers a filter it does not know: back to the list.
            self.message_user(
                request, "Nothing exported: the filter was not valid.", messages.ERROR
            )
            return redirect("admin:newsletter_subscriber_changelist")
        audit_export(request, queryset)
        return csv_response(queryset, "tift-subscribers.csv")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            result = subscriptions.import_subscribers(
                csv_text=form.cleaned_data["file"],
                opted_in_elsewhere=form.cleaned_data["opted_in_elsewhere"],
            )
            self.message_user(
                request,
                f"Imported {result.created} new reader(s); {result.unchanged} already known "
                f"(left as they were); {result.invalid} invalid address(es) skipped.",
                messages.SUCCESS,
            )
            return redirect("admin:newsletter_subscriber_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Import readers from CSV",
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "newsletter/admin/subscriber_import.html", context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["issue", "subscriber", "status", "attempts", "sent_at", "error"]
    list_filter = ["status", "issue"]
    search_fields = ["subscriber__email"]
    list_select_related = ["issue", "subscriber"]
    raw_id_fields = ["issue", "subscriber"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False


@admin.register(Infographic)
class InfographicAdmin(admin.ModelAdmin[Infographic]):
    form = InfographicForm
    list_display = ["title", "active", "uploaded_at", "download"]
    list_editable = ["active"]

    @admin.display(description="File")
    def download(self, obj: Infographic) -> str:
        # The file has no public URL: staff download it by a signed link, as readers do.
        if not obj.file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            subscriptions.infographic_url(obj),
            (obj.file.name or "").rsplit("/", 1)[-1],
        )
