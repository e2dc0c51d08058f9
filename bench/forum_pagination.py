"""The last page of a 5,000-post topic: Django's Paginator against the EitherEndPaginator
that lib/pagination.py held until issue 22 (point 2), on PostgreSQL.

    .venv/bin/python bench/forum_pagination.py
    .venv/bin/python bench/forum_pagination.py --posts 20000 --repeat 500

Uses its own database (default htw_bench_pagination), created and migrated if missing, with
one topic of --posts posts (one in 250 hidden by staff, as in seed_load). Times, for a member
and for staff, the database work of a topic page's posts: the page's rows and nothing else
(the topic's own counter gives members the count; staff's COUNT is timed apart). Each
variant runs --repeat times after a warm-up; the median and the 95th percentile are printed.

  django-rows  Django's Paginator over the posts the page shows (only() its fields, with the
               author and profile joined): one query, OFFSET over whole rows.
  django-ids   Django's Paginator over the posts' ids (an index-only scan), then the page's
               posts by id: two queries.
  either-end   EitherEndPaginator over the ids (from the nearer end), then the posts by id.

The figures, and why the forum now uses Django's Paginator, are in bench/README.md.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/htw_bench_pagination"
PER_PAGE = 20
SHOWN = (
    "id", "topic_id", "author_id", "html", "created_at", "edited_at", "is_deleted", "is_hidden",
    "author__id", "author__display_name", "author__credentials",
    "author__forum_profile__id", "author__forum_profile__handle",
)  # fmt: skip


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(posts: int):
    """The topic, a member and a staff user; made once, reused by later runs."""
    import datetime as dt

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Cohort, Course, Enrollment
    from forum import services
    from forum.models import Category, Post, Topic

    topic = Topic.objects.filter(title="Bench: the long topic").first()
    if topic is None or topic.posts.count() != posts:
        Post.objects.all().delete()
        Topic.objects.all().delete()
        category, _ = Category.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
        author, _ = User.objects.get_or_create(
            email="author@bench.example", defaults={"display_name": "Ada Author"}
        )
        services.get_profile(author)
        topic = Topic.objects.create(
            category=category, author=author, title="Bench: the long topic"
        )
        start = timezone.now() - dt.timedelta(days=30)
        Post.objects.bulk_create(
            Post(
                topic=topic,
                author=author,
                body=f"Post {n}. " + "A paragraph of a typical reply. " * 20,
                html="<p>" + "A paragraph of a typical reply. " * 20 + "</p>",
                created_at=start + dt.timedelta(minutes=n),
                is_hidden=n % 250 == 0,
            )
            for n in range(posts)
        )
        services.refresh_topic_stats(topic)
    member, created = User.objects.get_or_create(
        email="member@bench.example", defaults={"display_name": "Mo Member"}
    )
    if created:
        course = Course.objects.create(number=901, title="Bench course", slug="bench-course")
        today = timezone.localdate()
        now = timezone.now()
        cohort = Cohort.objects.create(
            course=course,
            name="Bench run",
            slug="bench-run",
            starts_on=today - dt.timedelta(days=10),
            ends_on=today + dt.timedelta(days=80),
            enrolment_opens_at=now - dt.timedelta(days=30),
            enrolment_closes_at=now + dt.timedelta(days=30),
            seat_cap=20,
            price_cents=1000,
            status=Cohort.Status.OPEN,
        )
        Enrollment.objects.create(user=member, cohort=cohort, status=Enrollment.Status.ACTIVE)
    staff, created = User.objects.get_or_create(
        email="staff@bench.example", defaults={"display_name": "Sam Staff", "is_staff": True}
    )
    if created:
        staff.groups.add(Group.objects.get(name="Staff"))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE forum_post")
    return topic, member, staff


def timed(run, repeat: int) -> tuple[float, float]:
    for _ in range(5):
        run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DB
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="bench-pagination-not-secret",
        DEBUG="0",
        DATABASE_URL=database_url,
        REDIS_URL="",
        CELERY_BROKER_URL="",
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(ROOT))
    ensure_database(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.core.paginator import Page, Paginator

    from forum.models import Post

    class EitherEndPaginator(Paginator):
        """lib.pagination.EitherEndPaginator as it was: a page in the second half of the
        list is read from the end of the reversed query, with a short OFFSET."""

        def __init__(self, object_list, reverse, per_page):
            super().__init__(object_list, per_page)
            self.reverse = reverse

        def page(self, number):
            number = self.validate_number(number)
            bottom = (number - 1) * self.per_page
            top = min(bottom + self.per_page, self.count)
            if bottom <= self.count - top:
                return Page(self.object_list[bottom:top], number, self)
            rows = list(self.reverse[self.count - top : self.count - bottom])
            rows.reverse()
            return Page(rows, number, self)

    call_command("migrate", verbosity=0)
    topic, member, staff = build(args.posts)
    print(f"A topic of {topic.posts.count():,} posts ({topic.post_count:,} visible to members)")

    def variants(user, count: int | None):
        visible = Post.objects.visible_to(user).filter(topic=topic)
        ids = visible.values_list("id", flat=True)

        def rows(paginator: Paginator) -> Paginator:
            if count is not None:
                paginator.count = count  # members: the topic's counter
            return paginator

        def posts_by_id(page) -> list:
            return list(
                Post.objects.filter(id__in=list(page.object_list))
                .select_related("author__forum_profile")
                .only(*SHOWN)
                .order_by("id")
            )

        def django_rows(number):
            shown = visible.select_related("author__forum_profile").only(*SHOWN).order_by("id")
            return lambda: list(rows(Paginator(shown, PER_PAGE)).get_page(number).object_list)

        def django_ids(number):
            return lambda: posts_by_id(
                rows(Paginator(ids.order_by("id"), PER_PAGE)).get_page(number)
            )

        def either_end(number):
            return lambda: posts_by_id(
                rows(
                    EitherEndPaginator(ids.order_by("id"), ids.order_by("-id"), PER_PAGE)
                ).get_page(number)
            )

        return {"django-rows": django_rows, "django-ids": django_ids, "either-end": either_end}

    print(f"{'who':<7} {'page':<6} {'variant':<12} {'median ms':>10} {'p95 ms':>8}")
    for who, user, count in (
        ("member", member, topic.post_count),
        ("staff", staff, None),
    ):
        for variant, make in variants(user, count).items():
            for label, number in (("first", 1), ("last", 10**9)):
                median, p95 = timed(make(number), args.repeat)
                print(f"{who:<7} {label:<6} {variant:<12} {median:>10.2f} {p95:>8.2f}")
    count_ms, _ = timed(
        lambda: Post.objects.visible_to(staff).filter(topic=topic).count(), args.repeat
    )
    print(f"staff's COUNT of the topic's posts: {count_ms:.2f} ms (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
