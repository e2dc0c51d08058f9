"""Staff admin of the Friday groups.

Times here are shown and entered in the program's time zone (not the staff member's own), so
“Friday 12:00” means the same thing to everyone scheduling. Two extra pages: a series form
(“every Friday from X, N sessions, skipping dates”) and a per-session attendance checklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Field, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from lib.admin_lists import QuickRowsMixin
from zoomgroups import services, zoom, zoom_sync
from zoomgroups.forms import AttendanceForm, SeriesForm
from zoomgroups.models import (
    RSVP,
    Attendance,
    GroupSession,
    ReminderSent,
    ZoomEvent,
    ZoomState,
    program_tz,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


_M = TypeVar("_M", bound=models.Model)


class ProgramTimeMixin(admin.ModelAdmin[_M]):
    """Render and parse the admin's dates in the program's time zone."""

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with timezone.override(program_tz()):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        with timezone.override(program_tz()):
            return super().changelist_view(request, extra_context)


class RunListFilter(admin.RelatedFieldListFilter):
    """The runs, named with their course, read in one query as plain values (the default
    filter reads each run's course on its own: one query per run)."""

    def field_choices(
        self, field: Field[Any, Any], request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str | StrPromise]]:
        from courses.models import Cohort

        # Django compares the choice with the query string as text either way.
        return [(str(pk), label) for pk, label in Cohort.objects.labels()]


class WhenFilter(admin.SimpleListFilter):
    """Upcoming sessions, past ones, and past ones still waiting for their recording link."""

    title = "when"
    parameter_name = "when"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("upcoming", "Upcoming"),
            ("past", "Past"),
            ("no_recording", "Past, recording not posted"),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[GroupSession]
    ) -> QuerySet[GroupSession]:
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        if self.value() == "no_recording":
            return queryset.filter(starts_at__lt=now, recording_url="")
        return queryset


@admin.register(GroupSession)
class GroupSessionAdmin(QuickRowsMixin, ProgramTimeMixin[GroupSession]):
    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
    list_display = [
        "topic",
        "cohort",
        "program_start",
        "slot",
        "recording_posted",
        "zoom_status",
        "attendance_count",
        "attendance_link",
    ]
    actions = ["retry_zoom"]
    list_filter = [WhenFilter, "cohort__course", ("cohort", RunListFilter)]
    list_select_related = ["cohort__course"]
    search_fields = ["topic", "cohort__name", "cohort__course__title"]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]
    fields = [
        "cohort",
        "starts_at",
        "duration_minutes",
        "topic",
        "notes",
        "join_url",
        "passcode",
        "recording_url",
        "recording_passcode",
        "slot",
        "sequence",
        "recording_announced_at",
        "zoom_status",
        "zoom_meeting_id",
    ]
    readonly_fields = [
        "slot",
        "sequence",
        "recording_announced_at",
        "zoom_status",
        "zoom_meeting_id",
    ]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_list_template = "admin/zoomgroups/groupsession/change_list.html"
    change_form_template = "admin/zoomgroups/groupsession/change_form.html"

    def get_readonly_fields(
        self, request: HttpRequest, obj: GroupSession | None = None
    ) -> list[str]:
        # A session keeps its cohort: moving it would dodge the other cohort's limit.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "cohort"] if obj is not None else readonly

    def get_queryset(self, request: HttpRequest) -> QuerySet[GroupSession]:
        return super().get_queryset(request).annotate(n_attended=Count("attendances"))

    @admin.display(description="starts (program time)", ordering="starts_at")
    def program_start(self, obj: GroupSession) -> str:
        return obj.starts_at.astimezone(program_tz()).strftime("%a %Y-%m-%d %H:%M %Z")

    @admin.display(description="recording", boolean=True)
    def recording_posted(self, obj: GroupSession) -> bool:
        return bool(obj.recording_url)

    @admin.display(description="Zoom")
    def zoom_status(self, obj: GroupSession) -> str:
        """Whether the Zoom meeting matches the session; a failure says why (select the
        session and use "Retry the Zoom meeting")."""
        if not obj.zoom_state:
            return "—" if not zoom.enabled() else "Not on Zoom yet"
        if obj.zoom_state == ZoomState.FAILED:
            return f"Failed: {obj.zoom_error}"
        return obj.get_zoom_state_display()

    @admin.action(description="Retry the Zoom meeting (create or update it, and its registrants)")
    def retry_zoom(self, request: HttpRequest, queryset: QuerySet[GroupSession]) -> None:
        if not zoom.enabled():
            self.message_user(request, "Zoom is not configured.", messages.WARNING)
            return
        with transaction.atomic():
            count = sum(zoom_sync.queue_meeting_sync(session) for session in queryset)
        self.message_user(request, f"Updating {count} Zoom meetings; reload in a minute.")

    @admin.display(description="attended", ordering="n_attended")
    def attendance_count(self, obj: GroupSession) -> int:
        return getattr(obj, "n_attended", 0)

    @admin.display(description="")
    def attendance_link(self, obj: GroupSession) -> str:
        url = reverse("admin:zoomgroups_groupsession_attendance", args=[obj.pk])
        return format_html('<a href="{}">Attendance checklist</a>', url)

    def save_model(
        self, request: HttpRequest, obj: GroupSession, form: ModelForm[GroupSession], change: bool
    ) -> None:
        if change:
            services.save_session_changes(session=obj, changed=form.changed_data)
        else:
            services.add_session(session=obj)
            if obj.recording_url:
                services.announce_recording(session=obj)

    def delete_model(self, request: HttpRequest, obj: GroupSession) -> None:
        self._cancel(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupSession]) -> None:
        self._cancel(request, queryset.select_related("cohort"))

    def _cancel(self, request: HttpRequest, sessions: Iterable[GroupSession]) -> None:
        if services.cancel_sessions(sessions):
            self.message_user(
                request, "The learners of the runs are being told by email that it is cancelled."
            )

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "schedule/",
                self.admin_site.admin_view(self.schedule_series_view),
                name="zoomgroups_groupsession_schedule",
            ),
            path(
                "<int:pk>/attendance/",
                self.admin_site.admin_view(self.attendance_view),
                name="zoomgroups_groupsession_attendance",
            ),
        ]
        return extra + super().get_urls()

    def schedule_series_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SeriesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            starts = services.fridays(
                first=data["first_date"],
                time=data["start_time"],
                count=data["count"],
                skip=data["skip_dates"],
            )
            try:
                created = services.schedule_sessions(
                    cohort=data["cohort"],
                    starts=starts,
                    topic=data["topic"],
                    number_topics=data["number_topics"],
                    duration_minutes=data["duration_minutes"],
                    join_url=data["join_url"],
                    passcode=data["passcode"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request, f"Scheduled {len(created)} Friday groups for {data['cohort']}."
                )
                changelist = reverse("admin:zoomgroups_groupsession_changelist")
                return redirect(f"{changelist}?cohort__id__exact={data['cohort'].pk}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Schedule a series of Friday groups",
            "form": form,
        }
        return render(request, "admin/zoomgroups/groupsession/schedule_series.html", context)

    def attendance_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        session = get_object_or_404(GroupSession.objects.select_related("cohort__course"), pk=pk)
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        learners = list(
            services.enrolled_learners(session.cohort_id).order_by("display_name", "email")
        )
        rsvps = dict(RSVP.objects.filter(session=session).values_list("user_id", "response"))
        marks = dict(Attendance.objects.filter(session=session).values_list("user_id", "source"))
        attended = list(marks)
        form = AttendanceForm(
            request.POST or None,
            learners=learners,
            rsvps=rsvps,
            from_zoom={uid for uid, source in marks.items() if source == Attendance.Source.ZOOM},
            initial={"attended": [str(pk) for pk in attended]},
        )
        if request.method == "POST" and form.is_valid():
            count = services.record_attendance(
                session=session, user_ids=form.cleaned_data["attended"]
            )
            messages.success(request, f"Attendance saved: {count} of {len(learners)} attended.")
            return redirect("admin:zoomgroups_groupsession_attendance", pk=session.pk)
        with timezone.override(program_tz()):
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": session,
                "title": f"Attendance: {session.topic}",
                "session": session,
                "program_start": self.program_start(session),
                "form": form,
                "learners": learners,
            }
            return render(request, "admin/zoomgroups/groupsession/attendance.html", context)


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin[ReminderSent]):
    list_display = ["kind", "user", "session", "sent_at"]
    list_filter = ["kind", "session__cohort"]
    list_select_related = ["user", "session"]
    search_fields = ["user__email", "session__topic"]
    readonly_fields = ["session", "user", "kind", "sent_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReminderSent | None = None) -> bool:
        return False


@admin.register(ZoomEvent)
class ZoomEventAdmin(admin.ModelAdmin[ZoomEvent]):
    """Zoom's webhook events as received (read-only): what each one did, or why not."""

    list_display = ["event", "meeting_id", "received_at", "handled_at", "outcome"]
    list_filter = ["event", "outcome"]
    search_fields = ["meeting_id"]
    readonly_fields = [
        "key",
        "event",
        "event_ts",
        "meeting_id",
        "payload",
        "received_at",
        "handled_at",
        "outcome",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ZoomEvent | None = None) -> bool:
        return False
