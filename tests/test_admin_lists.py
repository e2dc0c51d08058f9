"""The admin's list pages at scale (lib/admin_lists.py): rows drawn without Django's per-row
widget templates and URL resolving, with the same markup."""

import re
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.urls import reverse

from newsletter.models import Issue
from qa.models import Question
from tests.qa.conftest import make_question

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:qa_question_changelist")


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
