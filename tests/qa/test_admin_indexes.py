"""The Q&A queue's default order, its lesson filter and the question search (words and
askers) are served by their indexes (issue 23, point 1), checked on the SQL the admin really
runs.

How the plans are checked: a test database holds a hundred-odd questions, and on so few rows
PostgreSQL rightly prefers reading the table and sorting it, so the plan on realistic data
(tens of thousands of rows, bench/README.md) cannot be reproduced here without building that
data. Instead each test runs the admin's own query under `SET LOCAL enable_seqscan = off`,
which does not force any particular index: it only makes the table scan the last resort. The
plan then shows whether an index *can* serve the query. For the queue that is the point of the
index: with the old `(status, waiting_since)` index the plan still needs a Sort node (the
directions are mixed, `status DESC, waiting_since ASC, id DESC`); with `qa_question_queue` it
is an index scan with no Sort. For the search, without the GIN index on the questions'
stored `search_vector` there is nothing but the table scan; with it the plan uses
`qa_question_search`, which also proves the query matches on the indexed column. The timings
at scale 4 are in bench/README.md (bench/run_admin.py).
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qa.models import Question
from tests.conftest import skip_or_fail
from tests.qa.conftest import answer_question, make_lesson, make_question

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:qa_question_changelist")


@pytest.fixture(autouse=True)
def _postgres_only(is_postgres):
    if not is_postgres:
        skip_or_fail("REQUIRE_POSTGRES", "query plans are PostgreSQL's")


@pytest.fixture
def questions(learner, other_learner):
    for n in range(120):  # more than a page (50) waiting: the queue reads one page with LIMIT
        question = make_question(
            learner if n % 2 else other_learner,
            title=f"Question {n} about {'grief' if n % 10 == 0 else 'shame'}",
        )
        if n % 4 == 0:
            answer_question(question)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE qa_question")
        # Earlier tests' rolled-back questions stay in the GIN index's pending list (until a
        # vacuum, which a test database never gets), and PostgreSQL prices the index by it:
        # after enough of them it reads the table by key instead. Move them into the index.
        cursor.execute("SELECT gin_clean_pending_list('qa_question_search'::regclass)")


def page_query(client, path: str) -> str:
    """The SQL of the questions the admin list shows (ordered, not a count)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    pages = [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "qa_question"' in q["sql"] and "ORDER BY" in q["sql"] and "COUNT(" not in q["sql"]
    ]
    assert len(pages) == 1, pages
    return pages[0]


def plan(sql: str, *last_resorts: str) -> str:
    """The plan of `sql` with a table scan (and any of `last_resorts`) as the last resort."""
    settings = ["enable_seqscan", *last_resorts]
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        lines = [row[0] for row in cursor.fetchall()]
        for setting in settings:
            cursor.execute(f"SET LOCAL {setting} = on")
    return "\n".join(lines)


def test_queue_default_order_is_read_from_its_index_without_sorting(
    client_for, instructor, questions
):
    sql = page_query(client_for(instructor), QUEUE)
    assert '"qa_question"."status" DESC' in sql  # the admin's own ORDER BY

    shown = plan(sql)

    assert "qa_question_queue" in shown, shown
    assert "Sort" not in shown, shown


def test_waiting_filter_is_read_from_the_same_index(client_for, instructor, questions):
    shown = plan(page_query(client_for(instructor), QUEUE + "?status__exact=waiting"))

    assert "qa_question_queue" in shown, shown
    assert "Sort" not in shown, shown


def test_one_lessons_queue_is_read_from_its_index_without_sorting(
    client_for, instructor, learner, course
):
    lessons = [make_lesson(course), make_lesson(course)]
    # One lesson's forty questions among 1,200: found through the queue's own index, they
    # would be picked out of every row (with fewer rows the two plans cost about the same, and
    # the planner's choice between them followed the statistics of the moment).
    now = timezone.now()
    Question.objects.bulk_create(
        Question(
            asker=learner,
            title=f"Question {n}",
            text="Text",
            lesson=lessons[n % 30 == 0],
            status=Question.Status.ANSWERED if n % 4 == 0 else Question.Status.WAITING,
            waiting_since=now - timedelta(minutes=n),
        )
        for n in range(1200)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE qa_question")
    sql = page_query(client_for(instructor), QUEUE + f"?lesson__id__exact={lessons[1].pk}")

    # Reading the lesson's forty questions and sorting them is cheap too; a sort is made the
    # last resort, to show that an index serves the order.
    shown = plan(sql, "enable_sort")

    assert "qa_question_lesson_queue" in shown, shown
    assert "Sort" not in shown, shown


def test_question_search_uses_the_full_text_index(client_for, instructor, questions):
    sql = page_query(client_for(instructor), QUEUE + "?q=grief")
    assert "ILIKE" not in sql.upper()  # the words are not matched by scanning

    shown = plan(sql)

    assert "qa_question_search" in shown, shown
    assert "Seq Scan" not in shown, shown


def test_question_search_finds_askers_through_the_trigram_indexes(
    client_for, instructor, questions
):
    with CaptureQueriesContext(connection) as ctx:
        client_for(instructor).get(QUEUE + "?q=grief")
    (sql,) = [q["sql"] for q in ctx.captured_queries if "LIKE UPPER(" in q["sql"]]
    assert 'FROM "accounts_user"' in sql
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
        for index in ["accounts_user_email_trgm", "accounts_user_name_trgm"]:
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])

    # Reading a few accounts in email order (the query's ORDER BY) and testing each is a fine
    # plan too: it is made a last resort, so that only an index on the pattern remains.
    shown = plan(sql, "enable_indexscan")

    assert "accounts_user_email_trgm" in shown, shown
    assert "accounts_user_name_trgm" in shown, shown
    assert "Seq Scan" not in shown, shown
