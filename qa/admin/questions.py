"""The Q&A queue: the question list, its filters, and the answering page."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.db.models.fields.related import RelatedField
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr, urlize
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.timesince import timesince

from accounts.models import User
from audit.models import AuditEvent
from lessons.models import Lesson
from lib import drafts
from lib.admin_lists import CappedCountPaginator, QuickRowsChangeList, QuickRowsMixin
from lib.typed import AuthenticatedHttpRequest
from qa import services
from qa.models import (
    Answer,
    LibraryEntry,
    Question,
    QuestionQuerySet,
    can_see_all_questions,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# How many of the learner's earlier questions and of the library's matches the answer page

# lists beside the editor.
EARLIER_QUESTIONS = 8
LIBRARY_MATCHES = 5


def plain_text_html(text: str) -> str:
    """Learner text for the admin: escaped, links clickable, line breaks kept."""
    return linebreaksbr(urlize(escape(text), autoescape=False))


class OverdueFilter(admin.SimpleListFilter):
    title = "answer target"
    parameter_name = "overdue"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", f"Overdue (over {settings.QA_ANSWER_TARGET_DAYS} days)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Question]) -> QuerySet[Question]:
        if self.value() == "yes":
            return cast(QuestionQuerySet, queryset).overdue()
        return queryset


class LessonListFilter(admin.RelatedFieldListFilter):
    """Every lesson by title, in course order, without reading the chapters."""

    def field_choices(
        self,
        field: RelatedField[Any, Any],
        request: HttpRequest,
        model_admin: admin.ModelAdmin[Any],
    ) -> list[tuple[str, str | StrPromise]]:
        lessons = Lesson.objects.order_by("course__order", "order")
        # Django compares the choice with the query string as text either way.
        return [(str(pk), title) for pk, title in lessons.values_list("pk", "title")]


URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}
# What ModelAdmin.get_fields returns: names, and rows of names shown side by side.
FieldGroups = list[str | list[str] | tuple[str, ...] | tuple[()]]


class AnswerInline(admin.StackedInline[Answer, Question]):
    model = Answer
    formfield_overrides = URL_FIELDS
    fields = ["text", "video_url", "sent_at"]
    readonly_fields = ["sent_at"]
    extra = 1
    max_num = 1
    can_delete = False
    verbose_name = "personal answer"
    verbose_name_plural = "personal answer"

    def get_formset(
        self, request: HttpRequest, obj: Question | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet[Answer, Question, ModelForm[Answer]]]:
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            # The instructor's browser keeps the answer being written until it is saved
            # (lib/drafts.py; the form class, and so the widget, is new on every call).
            widget = formset.form.base_fields["text"].widget
            widget.attrs["data-draft-key"] = drafts.key(request.user, "qa-answer", obj.pk)
        return formset


class QueueChangeList(QuickRowsChangeList):
    """The queue reads only what its columns show: the rows it joins (lesson, trimester,
    answer) otherwise bring their long texts along, a chapter and a transcript per row."""

    DEFERRED = [
        "text",
        "search_vector",
        "lesson__chapter",
        "lesson__chapter_text",
        "lesson__search_vector",
        "lesson__podcast_transcript",
        "lesson__summary",
        "course__description",
        "answer__text",
    ]

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Question]:
        return super().get_queryset(request, exclude_parameters).defer(*self.DEFERRED)


@admin.register(Question)
class QuestionAdmin(QuickRowsMixin, admin.ModelAdmin[Question]):
    change_form_template = "admin/qa/question/change_form.html"
    list_display = [
        "title",
        "asker_name",
        "course",
        "lesson",
        "status_badge",
        "waited",
        "answer_state",
        "consent_to_publish",
        "created_at",
    ]
    list_filter = [
        "status",
        OverdueFilter,
        "consent_to_publish",
        # Every course and lesson (one small query each), not only those with questions:
        # finding those is a scan of every question.
        "course",
        ("lesson", LessonListFilter),
    ]
    # Shows the search box; the search itself is `get_search_results` (full text).
    search_fields = ["title"]
    list_select_related = ["asker", "course", "lesson", "answer"]
    list_per_page = 50
    # "50 results (80,000 total)" is a second count of every question on each filtered page,
    # and one common word matches a quarter of them: counted up to a thousand.
    show_full_result_count = False
    paginator = CappedCountPaginator
    # "waiting" sorts after "answered", so -status lists waiting questions first, oldest first.
    ordering = ["-status", "waiting_since"]
    fields = [
        "asker_name",
        "title",
        "question_text",
        "course",
        "lesson",
        "consent_to_publish",
        "status",
        "created_at",
        "waited",
        "thread",
        "library",
    ]
    # The stubs type `fields` and `readonly_fields` as different invariant lists.
    readonly_fields = fields  # type: ignore[assignment]
    inlines = [AnswerInline]

    class Media:
        css = {"all": ["css/qa.css"]}
        js = ["js/qa_admin.js"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # questions come from learners

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Question], search_term: str
    ) -> tuple[QuerySet[Question], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return cast(QuestionQuerySet, queryset).search(term), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return Question.objects.visible_to(request.user)

    @staticmethod
    def _require_qa_permission(request: HttpRequest) -> None:
        """A question's admin pages answer 404, like the site's, to staff who may not read
        questions (instead of the admin's 403 or "does not exist" redirect)."""
        if not can_see_all_questions(request.user):
            raise Http404

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._require_qa_permission(request)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._require_qa_permission(request)
        return super().history_view(request, object_id, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._require_qa_permission(request)
        return super().delete_view(request, object_id, extra_context)

    @admin.display(description="asker", ordering="asker__display_name")
    def asker_name(self, obj: Question) -> str:
        return f"{obj.asker.public_name} <{obj.asker.email}>"

    @admin.display(description="question")
    def question_text(self, obj: Question) -> str:
        return format_html('<div class="qa-admin-text">{}</div>', plain_text_html(obj.text))

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Question) -> str:
        if obj.is_overdue():
            return format_html(
                '<span class="qa-badge qa-badge-overdue">Overdue</span>'
                ' <span class="qa-badge qa-badge-waiting">{}</span>',
                "Waiting",
            )
        label = "Waiting" if obj.is_waiting else "Answered"
        return format_html('<span class="qa-badge qa-badge-{}">{}</span>', obj.status, label)

    @admin.display(description="waited", ordering="waiting_since")
    def waited(self, obj: Question) -> str:
        if not obj.is_waiting:
            return "—"
        text = timesince(obj.waiting_since, timezone.now())
        if obj.is_overdue():
            return format_html('<strong class="qa-overdue">{}</strong>', text)
        return text

    @admin.display(description="answer")
    def answer_state(self, obj: Question) -> str:
        answer = getattr(obj, "answer", None)
        if answer is None:
            return "—"
        return "sent" if answer.is_sent else "draft"

    @admin.display(description="follow-ups")
    def thread(self, obj: Question) -> str:
        replies = obj.replies.select_related("author")
        if not replies:
            return "None yet."
        return format_html_join(
            "",
            '<div class="qa-admin-reply"><p><strong>{}</strong> · {}</p><div>{}</div></div>',
            (
                (
                    "Instructor" if r.from_instructor else "Learner",
                    timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M"),
                    plain_text_html(r.text),
                )
                for r in replies
            ),
        )

    @admin.display(description="library")
    def library(self, obj: Question) -> str:
        if obj.library_entry_id:
            url = reverse("admin:qa_libraryentry_change", args=[obj.library_entry_id])
            return format_html('<a href="{}">Library entry #{}</a>', url, obj.library_entry_id)
        if not obj.consent_to_publish:
            return "The learner did not consent to publication."
        return "No entry yet."

    def get_urls(self) -> list[URLPattern]:
        urls = super().get_urls()
        extra = [
            path(
                "<int:pk>/start-library-entry/",
                self.admin_site.admin_view(self.start_library_entry_view),
                name="qa_question_start_library_entry",
            )
        ]
        return extra + urls

    def start_library_entry_view(self, request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
        self._require_qa_permission(request)
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        question = get_object_or_404(self.get_queryset(request), pk=pk)
        if not request.user.has_perm("qa.add_libraryentry"):
            raise PermissionDenied
        try:
            entry = services.start_library_entry(question_id=question.pk, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:qa_question_change", args=[pk]))
        self.message_user(
            request,
            "A draft library entry is ready. Rewrite the question so that nothing identifies "
            "the client or the learner, then confirm and publish.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:qa_libraryentry_change", args=[entry.pk]))

    def save_formset(
        self,
        request: HttpRequest,
        form: ModelForm[Question],
        formset: BaseInlineFormSet[Any, Question, Any],
        change: bool,
    ) -> None:
        for instance in formset.save(commit=False):
            if isinstance(instance, Answer) and instance.author_id is None:
                # Only signed-in staff reach the admin, so request.user is a User.
                instance.author = cast(User, request.user)
            instance.save()
        formset.save_m2m()

    def response_change(self, request: HttpRequest, obj: Question) -> HttpResponse:
        # Called once the question and its answer are saved: the draft kept in the instructor's
        # browser can go, whether or not the answer could be sent.
        return drafts.confirm_saved(self._send_or_continue(request, obj))

    def _send_or_continue(self, request: HttpRequest, obj: Question) -> HttpResponse:
        if "_send_answer" in request.POST:
            try:
                # Only signed-in staff reach the admin, so request.user is a User.
                sent = services.send_answer(question_id=obj.pk, by=cast(User, request.user))
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return HttpResponseRedirect(request.path)
            if sent:
                AuditEvent.record(
                    action=AuditEvent.Action.QUESTION_ANSWERED, obj=obj, request=request
                )
                self.message_user(request, "The answer is sent; the learner gets an email.")
            else:
                self.message_user(
                    request,
                    "Saved. The learner was already notified of this answer, so no new email "
                    "was sent (use a follow-up reply on the site for something new).",
                    messages.WARNING,
                )
            return HttpResponseRedirect(reverse("admin:qa_question_changelist"))
        return super().response_change(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Question | None = None,
    ) -> HttpResponse:
        if obj is not None and request.method == "GET":
            AuditEvent.record(action=AuditEvent.Action.QUESTION_VIEWED, obj=obj, request=request)
        context["qa_can_start_entry"] = bool(
            obj is not None
            and obj.may_be_published
            and request.user.has_perm("qa.add_libraryentry")
        )
        context["qa_answer_sent"] = bool(
            obj is not None and getattr(obj, "answer", None) and obj.answer.is_sent
        )
        if obj is not None:
            # Beside the editor: what the learner asked before (titles and dates only) and
            # library entries that may already answer this question.
            context["qa_earlier_questions"] = (
                Question.objects.filter(asker_id=obj.asker_id, created_at__lt=obj.created_at)
                .order_by("-created_at")
                .only("pk", "title", "created_at")[:EARLIER_QUESTIONS]
            )
            context["qa_library_matches"] = LibraryEntry.objects.may_answer(obj.title).only(
                "pk", "title", "published_at"
            )[:LIBRARY_MATCHES]
        return super().render_change_form(request, context, add, change, form_url, obj)


def waiting_summary(now: dt.datetime | None = None) -> dict[str, Any]:
    """Waiting and overdue counts and the oldest question's wait, in one query (served by the
    queue's index)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.QA_ANSWER_TARGET_DAYS)
    counts = Question.objects.waiting().aggregate(
        waiting=models.Count("pk"),
        overdue=models.Count("pk", filter=models.Q(waiting_since__lt=cutoff)),
        oldest=models.Min("waiting_since"),
    )
    return {
        "waiting_count": counts["waiting"],
        "overdue_count": counts["overdue"],
        "oldest_wait": timesince(counts["oldest"], now) if counts["oldest"] else "",
        "target_days": settings.QA_ANSWER_TARGET_DAYS,
    }
