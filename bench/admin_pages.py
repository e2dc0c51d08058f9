"""The admin pages the instructor and staff use every day (issue 23), found in a database
`seed_load` built. Used by bench/run_admin.py (timings) and tests/test_admin_budgets.py (query
counts), so that what is timed and what is held to a budget are the same pages.
"""

from __future__ import annotations

from django.db.models import Model
from django.urls import reverse

from courses.models import Cohort, Enrollment, FinancialAidRequest, Offer, WaitlistEntry
from forum.models import Report
from lessons.models import Lesson
from newsletter.models import Issue, Subscriber
from qa.models import Question
from zoomgroups.models import GroupSession

QUESTION_QUERY = "grief"


def change_url(obj: Model) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def list_url(model: type[Model], query: str = "") -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def admin_pages() -> list[tuple[str, str]]:
    """(name, path) of each page. The Q&A queue is listed in its default order and under each
    of its filters; each other list with one of its change pages."""
    waiting = Question.objects.waiting().order_by("waiting_since").first()
    assert waiting is not None, "the load data has no waiting question"
    lesson = Lesson.objects.order_by("pk").first()
    assert lesson is not None
    pages = [
        ("admin_index", reverse("admin:index")),
        ("queue", list_url(Question)),
        ("queue_waiting", list_url(Question, "status__exact=waiting")),
        ("queue_answered", list_url(Question, "status__exact=answered")),
        ("queue_overdue", list_url(Question, "overdue=yes")),
        ("queue_consent", list_url(Question, "consent_to_publish__exact=1")),
        ("queue_course", list_url(Question, f"course__id__exact={lesson.course_id}")),
        ("queue_lesson", list_url(Question, f"lesson__id__exact={lesson.pk}")),
        ("question_search", list_url(Question, f"q={QUESTION_QUERY}")),
        ("question", change_url(waiting)),
    ]
    for name, model in [
        ("enrolments", Enrollment),
        ("waitlist", WaitlistEntry),
        ("offers", Offer),
        ("aid_requests", FinancialAidRequest),
        ("runs", Cohort),
        ("friday_sessions", GroupSession),
        ("forum_reports", Report),
        ("subscribers", Subscriber),
        ("newsletter_issues", Issue),
    ]:
        objects = model._default_manager.order_by("-pk")
        if model is Offer:  # one kind of offer at every scale (its page names its source)
            objects = objects.filter(waitlist_entry__isnull=False)
        first = objects.first()
        assert first is not None, f"the load data has no {name}"
        pages += [(name, list_url(model)), (f"{name}_change", change_url(first))]
    return pages
