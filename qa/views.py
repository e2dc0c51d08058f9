from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from audit.models import AuditEvent
from courses.locks import locked_page
from courses.models import Course, is_member
from lessons.models import Lesson
from lib import drafts, ratelimit
from lib import search as sitesearch
from lib.typed import AuthenticatedHttpRequest
from qa import services
from qa.browse import browse_counts
from qa.forms import AskForm, LibrarySearchForm, ReplyForm
from qa.models import (
    LibraryEntry,
    LibraryEntryQuerySet,
    Question,
    Reply,
    Topic,
    can_see_all_questions,
)

ASK_LIMIT = (20, 3600)
REPLY_LIMIT = (30, 3600)
PAGE_SIZE = 10
# What a row of "My questions" shows: not the question's text, nor the lesson's chapter and
# transcript (tens of kilobytes each), nor the answer's text.
MY_QUESTION_FIELDS = ("id", "title", "status", "created_at", "course__title", "lesson__title",
                      "answer__sent_at", "answer__video_url")  # fmt: skip


def _positive_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


def _ask_initial(request: HttpRequest) -> dict[str, int]:
    """Pre-fill from ?lesson=<id> or ?course=<id>; ids the learner may not use are ignored."""
    courses = Course.objects.accessible_to(request.user)
    if lesson_id := _positive_int(request.GET.get("lesson")):
        lesson = Lesson.objects.filter(pk=lesson_id, course__in=courses).first()
        if lesson is not None:
            return {"lesson": lesson.pk, "course": lesson.course_id}
    course_id = _positive_int(request.GET.get("course"))
    if course_id and courses.filter(pk=course_id).exists():
        return {"course": course_id}
    return {}


@never_cache
@login_required
def ask(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not is_member(request.user):
        return render(request, "qa/members_only.html")
    data = request.POST if request.method == "POST" else None
    form = AskForm(data, user=request.user, initial=_ask_initial(request))
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allow(
            f"qa-ask:{request.user.pk}", limit=ASK_LIMIT[0], period=ASK_LIMIT[1]
        ):
            form.add_error(
                None,
                "You have sent many questions in the last hour. Your question is still here: "
                "please try again in a little while.",
            )
        else:
            cleaned = form.cleaned_data
            question = services.ask_question(
                asker=request.user,
                title=cleaned["title"],
                text=cleaned["text"],
                course=cleaned["course"],
                lesson=cleaned["lesson"],
                consent_to_publish=cleaned["consent_to_publish"],
            )
            messages.success(
                request, "Your question is sent. You will get an email when it is answered."
            )
            return drafts.confirm_saved(redirect(question))
    return render(request, "qa/ask.html", {"form": form})


@never_cache
@login_required
def my_questions(request: AuthenticatedHttpRequest) -> HttpResponse:
    questions = (
        Question.objects.filter(asker=request.user)
        .select_related("course", "lesson", "answer")
        .only(*MY_QUESTION_FIELDS)
        .annotate(reply_count=Count("replies"))
        .order_by("-created_at")
    )
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    member = is_member(request.user)
    if not member and not page.object_list:
        return render(request, "qa/members_only.html")
    return render(request, "qa/my_questions.html", {"page": page, "can_ask": member})


@never_cache
@login_required
def question(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(
        Question.objects.visible_to(request.user).select_related(
            "asker", "course", "lesson", "answer"
        ),
        pk=pk,
    )
    may_reply = services.can_reply(request.user, item)
    is_asker = item.asker_id == request.user.pk
    if not is_asker and request.method == "GET":
        AuditEvent.record(
            action=AuditEvent.Action.QUESTION_VIEWED,
            obj=item,
            detail="on the site",
            request=request,
        )
    data = request.POST if request.method == "POST" else None
    form = ReplyForm(data, check_identifiers=is_asker) if may_reply else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            if not ratelimit.allow(
                f"qa-reply:{request.user.pk}", limit=REPLY_LIMIT[0], period=REPLY_LIMIT[1]
            ):
                form.add_error(None, "You are replying very quickly; please try again shortly.")
            else:
                services.add_reply(
                    question=item, author=request.user, text=form.cleaned_data["text"]
                )
                messages.success(request, "Your reply is sent.")
                return drafts.confirm_saved(redirect(item))
    answer = getattr(item, "answer", None)
    context = {
        "question": item,
        "answer": answer,
        "show_answer": answer is not None and (answer.is_sent or not is_asker),
        "replies": Reply.objects.filter(question=item).select_related("author"),
        "form": form,
        "is_asker": is_asker,
        "staff_view": can_see_all_questions(request.user),
    }
    return render(request, "qa/question.html", context)


def library_entries(query: str, topic: Topic | None, lesson: Any) -> QuerySet[LibraryEntry]:
    """The published entries of the library's list, filtered and (with a query) ranked."""
    entries = library_cards(LibraryEntry.objects.published())
    if topic is not None:
        entries = entries.filter(topics=topic)
    if lesson is not None:
        entries = entries.for_lesson(lesson)
    if query:
        entries = entries.search(query)
    return entries


def library_cards(entries: LibraryEntryQuerySet) -> LibraryEntryQuerySet:
    """`entries` as their cards show them (qa/_library_card.html), with the texts a snippet is
    cut from: not the answer's HTML nor the search vector (issue 9)."""
    return entries.prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("order", "name"))
    ).only("id", "title", "question", "video_url", "answer_plain")


def library_card_rows(ids: list[int]) -> QuerySet[LibraryEntry]:
    return library_cards(LibraryEntry.objects.filter(pk__in=ids))


@never_cache
@login_required
def library(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not is_member(request.user):
        return locked_page(request, area="library")
    form = LibrarySearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    topic = lesson = None
    if slug := filters.get("topic"):
        topic = get_object_or_404(Topic, slug=slug)
    if lesson_id := filters.get("lesson"):
        lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    query = (filters.get("q") or "").strip()
    entries, number = library_entries(query, topic, lesson), request.GET.get("page", "")[:12]
    if not query:
        page = Paginator(entries, PAGE_SIZE).get_page(number)
    else:  # ranked: the ids once, not a COUNT that would rank the matches again
        page = sitesearch.ranked_page(entries, number, PAGE_SIZE, library_card_rows)
        found = sitesearch.Query(query)
        for entry in page.object_list:
            entry.snippet = sitesearch.snippet(entry, found, "question", "answer_plain")
    topics, lessons = browse_counts()
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "query": query,
        "topic": topic,
        "lesson": lesson,
        "topics": topics,
        "lessons": lessons,
        "querystring": params.urlencode(),
    }
    return render(request, "qa/library.html", context)


@never_cache
@login_required
def library_entry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if not is_member(request.user):  # the same page for every entry: it tells none apart
        return locked_page(request, area="library")
    entry = get_object_or_404(
        LibraryEntry.objects.visible_to(request.user)
        # Not the search copies of the text; the related lessons' titles and links only, not
        # their chapters (tens of kilobytes each) nor their courses' descriptions (issue 9).
        .defer("search_vector", "answer_plain")
        .prefetch_related(
            "topics",
            Prefetch(
                "lessons",
                queryset=Lesson.objects.select_related("course").only(
                    "id", "slug", "title", "course__id", "course__slug", "course__title"
                ),
            ),
        ),
        pk=pk,
    )
    return render(request, "qa/library_entry.html", {"entry": entry})
