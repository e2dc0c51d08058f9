"""Emptying the load data (`--reset`) and counting what was made."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection, models

from accounts.models import User
from bench.loaddata.names import DOMAIN, LONG_TOPIC_TITLE
from courses.models import (
    Cohort,
    Course,
    Enrollment,
    FinancialAidRequest,
    Offer,
    SeatHold,
    WaitlistEntry,
)
from forum.models import Post, Report, Topic
from lessons.models import Lesson, Progress
from newsletter.models import Issue, Subscriber
from qa.models import LibraryEntry, Question

APPS = ("newsletter", "forum", "qa", "zoomgroups", "lessons", "courses")


def reset() -> None:
    """Empty the program's tables, only when every account is a load account."""
    others = User.objects.exclude(email__endswith=f"@{DOMAIN}")
    if others.exists():
        raise CommandError(
            f"--reset refused: this database has accounts outside @{DOMAIN}. "
            "Use a database of its own for load data."
        )
    tables = [
        model._meta.db_table
        for label in APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    tables += [
        EmailAddress._meta.db_table,
        "django_session",
        "django_admin_log",
        User._meta.db_table,
        User.groups.through._meta.db_table,
        User.user_permissions.through._meta.db_table,
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            # Inside a transaction that inserted rows (a test), deferred foreign-key checks
            # must run before TRUNCATE may.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            delete_in_dependency_order()


def delete_in_dependency_order() -> None:
    """Without TRUNCATE ... CASCADE (SQLite): delete model by model, retrying the ones
    another table still protects until every table is empty."""
    pending = [model for label in APPS for model in apps.get_app_config(label).get_models()] + [
        User
    ]
    for _ in range(len(pending)):
        blocked = []
        for model in pending:
            try:
                model._default_manager.all().delete()
            except models.ProtectedError:
                blocked.append(model)
        pending = blocked
        if not pending:
            return
    raise CommandError(f"Could not empty: {pending}")


def counts() -> str:
    rows: list[tuple[str, models.QuerySet]] = [
        ("courses", Course.objects.all()),
        ("lessons", Lesson.objects.all()),
        ("cohorts", Cohort.objects.all()),
        ("learners", User.objects.filter(is_staff=False)),
        ("enrolments", Enrollment.objects.all()),
        ("seat holds", SeatHold.objects.all()),
        ("waitlist entries", WaitlistEntry.objects.all()),
        ("offers", Offer.objects.all()),
        ("aid requests", FinancialAidRequest.objects.all()),
        ("progress rows", Progress.objects.all()),
        ("questions", Question.objects.all()),
        ("library entries", LibraryEntry.objects.all()),
        ("forum topics", Topic.objects.all()),
        ("forum posts", Post.objects.all()),
        ("forum reports", Report.objects.all()),
        ("newsletter readers", Subscriber.objects.all()),
        ("newsletter issues", Issue.objects.all()),
    ]
    lines = [f"  {name:<19} {qs.count():>9,}" for name, qs in rows]
    long_topic = Topic.objects.get(title=LONG_TOPIC_TITLE)
    lines.append(
        f"  {'the long topic':<19} {long_topic.posts.count():>9,} posts "
        f"({long_topic.post_count:,} visible)"
    )
    return "\n".join(lines)
