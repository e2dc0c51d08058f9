"""The library in the admin: topics, and entries with the original question beside the
de-identified rewrite."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import ManyToManyField, QuerySet
from django.forms import ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

from audit.models import AuditEvent
from lessons.models import Lesson
from qa import services
from qa.models import (
    LibraryEntry,
    LibraryEntryQuerySet,
    Question,
    Topic,
    can_see_all_questions,
)

if TYPE_CHECKING:
    pass

# How many of the learner's earlier questions and of the library's matches the answer page

from qa.admin.questions import URL_FIELDS, FieldGroups, plain_text_html


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = ["name", "slug", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.action(description="Publish the selected entries")
def publish_entries(
    modeladmin: admin.ModelAdmin[LibraryEntry],
    request: HttpRequest,
    queryset: QuerySet[LibraryEntry],
) -> None:
    published = 0
    for entry in queryset:
        try:
            services.publish_library_entry(entry_id=entry.pk)
            published += 1
        except ValidationError as error:
            modeladmin.message_user(
                request, f"“{entry}” was not published: {' '.join(error.messages)}", messages.ERROR
            )
    if published:
        modeladmin.message_user(request, f"Published {published} entries.", messages.SUCCESS)


@admin.register(LibraryEntry)
class LibraryEntryAdmin(admin.ModelAdmin[LibraryEntry]):
    formfield_overrides = URL_FIELDS
    list_display = ["__str__", "status", "deidentified_confirmed", "consent", "published_at"]
    list_filter = ["status", "topics"]
    search_fields = ["title", "question", "answer_plain"]
    filter_horizontal = ["topics", "lessons"]
    actions = [publish_entries]
    fields = [
        "title",
        "question",
        "answer",
        "video_url",
        "topics",
        "lessons",
        "consent",
        "deidentified_confirmed",
        "status",
        "published_at",
    ]
    readonly_fields = ["consent", "published_at"]

    class Media:
        css = {"all": ["css/qa.css"]}
        js = ["js/qa_admin.js"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LibraryEntry]:
        entries = cast(LibraryEntryQuerySet, super().get_queryset(request))
        # Drafts may still hold details not yet de-identified: only the instructor sees them.
        if not can_see_all_questions(request.user):
            entries = entries.published()
        return entries

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # entries start from a consented question ("Start a library entry")

    def get_fields(self, request: HttpRequest, obj: LibraryEntry | None = None) -> FieldGroups:
        """For the instructor, the learner's original question beside the de-identified
        rewrite (one row, two columns), so that every detail can be checked while rewriting.
        Nobody else sees it: the original is as private as the question itself."""
        fields = list(super().get_fields(request, obj))
        if obj is not None and can_see_all_questions(request.user) and "question" in fields:
            fields[fields.index("question")] = ("original_question", "question")
        return fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: LibraryEntry | None = None
    ) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "original_question"]

    @admin.display(description="the learner's original question (private)")
    def original_question(self, obj: LibraryEntry) -> str:
        original = self._original(obj)
        if original is None:
            return "No question is linked to this entry."
        return format_html(
            '<div class="qa-admin-text qa-original"><p><strong>{}</strong></p>{}</div>',
            original.title,
            plain_text_html(original.text),
        )

    @staticmethod
    def _original(obj: LibraryEntry) -> Question | None:
        # The link is kept on the private side only (qa.models): the question points here.
        if not hasattr(obj, "_htw_original_question"):
            obj._htw_original_question = (  # type: ignore[attr-defined]
                Question.objects.filter(library_entry_id=obj.pk).only("title", "text").first()
            )
        original: Question | None = obj._htw_original_question  # type: ignore[attr-defined]
        return original

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: LibraryEntry | None = None,
    ) -> HttpResponse:
        if obj is not None and request.method == "GET" and can_see_all_questions(request.user):
            original = self._original(obj)
            if original is not None:
                AuditEvent.record(
                    action=AuditEvent.Action.QUESTION_VIEWED, obj=original, request=request
                )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="learner consent", boolean=True)
    def consent(self, obj: LibraryEntry) -> bool:
        return obj.consent_given_at is not None

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        if db_field.name == "lessons":
            kwargs["queryset"] = Lesson.objects.select_related("course")
        return super().formfield_for_manytomany(db_field, request, **kwargs)
