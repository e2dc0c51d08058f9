"""The admin's list pages at scale (lib/admin_lists.py): rows drawn without Django's per-row
widget templates and URL resolving, with the same markup; lists counted up to a limit, which
say so. On SQLite and PostgreSQL alike."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.urls import reverse

from lib.admin_lists import CappedCountPaginator
from newsletter.models import Issue, Subscriber
from qa.models import Question
from tests.qa.conftest import make_question

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:qa_question_changelist")
READERS = reverse("admin:newsletter_subscriber_changelist")


class Upto3(CappedCountPaginator):
    count_limit = 3


@pytest.fixture
def count_limit_3(monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_limit", 3)


def row_links(page: str) -> list[str]:
    return re.findall(r'<th class="field-[^"]*"><a href="([^"]*)"', page)


# The rows -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, make",
    [
        (Question, lambda learner: make_question(learner)),
        # A name that must be escaped in the checkbox's label.
        (Issue, lambda learner: Issue.objects.create(number=7, title='<b>"Fish" & chips</b>')),
    ],
)
def test_row_checkbox_is_the_markup_django_renders(learner, model, make):
    obj = make(learner)
    model_admin = admin.site.get_model_admin(model)

    assert model_admin.action_checkbox(obj) == admin.ModelAdmin.action_checkbox(model_admin, obj)


def test_rows_of_a_filtered_list_link_back_to_it_as_djangos_do(client_for, instructor, learner):
    questions = [make_question(learner) for _ in range(3)]
    query = "status__exact=waiting&q=situation"

    page = client_for(instructor).get(f"{QUEUE}?{query}").content.decode()

    # What Django's own rows link to (admin_list.items_for_result), built the slow way.
    expected = {
        add_preserved_filters(
            {
                "preserved_filters": urlencode({"_changelist_filters": query}),
                "opts": Question._meta,
            },
            reverse("admin:qa_question_change", args=[q.pk]),
        )
        for q in questions
    }
    links = {link.replace("&amp;", "&") for link in row_links(page)}
    assert links == expected
    assert all(
        link.endswith("?_changelist_filters=status__exact%3Dwaiting%26q%3Dsituation")
        for link in links
    )


def test_rows_of_an_unfiltered_list_link_plainly(client_for, instructor, learner):
    question = make_question(learner)

    page = client_for(instructor).get(QUEUE).content.decode()

    assert row_links(page) == [reverse("admin:qa_question_change", args=[question.pk])]


# The count ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows, count, capped", [(0, 0, False), (3, 3, False), (4, 3, True)])
def test_paginator_counts_up_to_its_limit(learner, rows, count, capped):
    for _ in range(rows):
        make_question(learner)

    paginator = Upto3(Question.objects.order_by("-waiting_since", "-pk"), 2)

    assert (paginator.count, paginator.capped) == (count, capped)
    assert paginator.num_pages == max(1, (count + 1) // 2)


def test_capped_paginator_pages_through_the_first_rows_in_the_lists_order(learner):
    questions = [make_question(learner) for _ in range(5)]

    paginator = Upto3(Question.objects.order_by("pk"), 2)

    assert list(paginator.page(1)) == questions[:2]
    assert list(paginator.page(2)) == questions[2:3]  # the first three, and no more
    assert not paginator.page(2).has_next()


def test_paginator_counts_a_list_too():
    assert (Upto3(list(range(10)), 2).count, Upto3(list(range(10)), 2).capped) == (3, True)
    assert (Upto3([1, 2], 2).count, Upto3([1, 2], 2).capped) == (2, False)


def test_queue_under_the_limit_shows_its_exact_count(
    client_for, instructor, learner, count_limit_3
):
    for _ in range(3):
        make_question(learner)

    page = client_for(instructor).get(QUEUE).content.decode()

    assert "3 questions" in page
    assert "More than" not in page


def test_queue_past_the_limit_says_there_are_more(client_for, instructor, learner, count_limit_3):
    for _ in range(4):
        make_question(learner)

    response = client_for(instructor).get(QUEUE)

    page = response.content.decode()
    assert response.context["cl"].result_count == 3
    assert "More than 3 questions: the first 3 are listed" in page
    assert "Select all questions (more than 3)" in page
    assert "All questions selected (more than 3)" in page
    assert "3 questions" not in page.replace("More than 3 questions", "")


def test_search_past_the_limit_says_more_than_n_results(
    client_for, instructor, learner, count_limit_3
):
    for n in range(5):
        make_question(learner, title=f"Grief and loss {n}")
    make_question(learner, title="Something else")

    page = client_for(instructor).get(QUEUE + "?q=grief").content.decode()

    assert "More than 3 results" in page


def test_search_under_the_limit_counts_exactly(client_for, instructor, learner, count_limit_3):
    make_question(learner, title="Grief and loss")
    make_question(learner, title="Something else")

    page = client_for(instructor).get(QUEUE + "?q=grief").content.decode()

    assert "1 result " in page
    assert "More than" not in page


def test_select_all_past_the_limit_acts_on_every_matching_row(client_for, staff, count_limit_3):
    readers = [
        Subscriber.objects.create(email=f"reader{n}@example.com", status="confirmed")
        for n in range(5)
    ]
    client = client_for(staff)
    assert "More than 3 subscribers" in client.get(READERS).content.decode()

    # What the page posts after "Select all": the rows ticked on the page, and select_across.
    client.post(
        READERS,
        {
            "action": "mark_unsubscribed",
            "select_across": "1",
            "index": "0",
            "_selected_action": [r.pk for r in readers[-3:]],
        },
    )

    assert set(Subscriber.objects.values_list("status", flat=True)) == {"unsubscribed"}
