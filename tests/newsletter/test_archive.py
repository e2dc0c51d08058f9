"""The public archive, issue pages and the RSS feed show sent issues kept in the archive only."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from newsletter.models import Issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def issues(make_issue):
    sent = timezone.now() - dt.timedelta(days=3)
    return {
        "public": make_issue(1, title="Public issue", status="sent", sent_at=sent),
        "hidden": make_issue(
            2, title="Hidden issue", status="sent", sent_at=sent, in_archive=False
        ),
        "scheduled": make_issue(3, title="Scheduled issue", status="scheduled"),
        "draft": make_issue(4, title="Draft issue"),
        "sending": make_issue(5, title="Sending issue", status="sending"),
    }


def test_archive_lists_only_sent_public_issues(client, issues):
    page = client.get(reverse("newsletter:archive")).content.decode()

    assert "Public issue" in page
    for name in ("Hidden", "Scheduled", "Draft", "Sending"):
        assert f"{name} issue" not in page


def test_archive_shows_an_empty_state(client):
    page = client.get(reverse("newsletter:archive")).content.decode()

    assert "The first issue of TIFT is on its way" in page


def test_visitor_reads_a_public_issue(client, issues):
    response = client.get(reverse("newsletter:issue", args=[1]))

    assert response.status_code == 200
    assert "Body of issue 1" in response.content.decode()


@pytest.mark.parametrize("number", [2, 3, 4, 5, 999])
def test_issues_outside_the_archive_get_404_even_for_staff(client_for, staff, issues, number):
    assert client_for(None).get(reverse("newsletter:issue", args=[number])).status_code == 404
    assert client_for(staff).get(reverse("newsletter:issue", args=[number])).status_code == 404


def test_issue_body_is_sanitized_on_the_way_out(client, make_issue):
    issue = make_issue(9, status="sent", sent_at=timezone.now())
    Issue.objects.filter(pk=issue.pk).update(body="<p>Hi</p><script>alert(1)</script>")

    page = client.get(reverse("newsletter:issue", args=[9])).content.decode()

    assert "<script>alert(1)" not in page


def test_issue_body_is_sanitized_when_saved():
    from django.forms import modelform_factory

    form = modelform_factory(Issue, fields=["number", "title", "body"])(
        {"number": 1, "title": "T", "body": "<p onclick='x()'>Hi</p><script>bad()</script>"}
    )
    assert form.is_valid(), form.errors
    assert form.save().body == "<p>Hi</p>"


def test_feed_lists_public_issues(client, issues):
    response = client.get(reverse("newsletter:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    body = response.content.decode()
    assert "TIFT #1: Public issue" in body
    assert "Hidden issue" not in body and "Draft issue" not in body


@pytest.mark.parametrize("query", ["?page=2", "?page=abc", "?page=-1", "?page=99999"])
def test_bad_page_numbers_do_not_break_the_archive(client, issues, query):
    assert client.get(reverse("newsletter:archive") + query).status_code == 200


@pytest.mark.parametrize("count", [1, 30])
def test_archive_and_feed_queries_do_not_grow_with_issues(
    client, make_issue, django_assert_max_num_queries, count
):
    for n in range(count):
        make_issue(n + 1, status="sent", sent_at=timezone.now())
    with django_assert_max_num_queries(4):
        assert client.get(reverse("newsletter:archive")).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("newsletter:feed")).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("newsletter:issue", args=[1])).status_code == 200


def test_the_infographic_has_no_public_address(client):
    """It is the welcome gift: only a signed link opens it (see test_infographic.py)."""
    from django.core.files.base import ContentFile

    from newsletter.demo import tiny_pdf
    from newsletter.models import Infographic

    Infographic.objects.create(title="Model", file=ContentFile(tiny_pdf("x"), name="model.pdf"))

    assert client.get("/newsletter/infographic/").status_code == 404


def test_the_send_date_is_a_valid_html_datetime_without_microseconds(client, make_issue):
    # HTML allows at most three digits of a second's fraction; date:'c' printed six.
    sent = dt.datetime(2026, 11, 23, 10, 5, 7, 123456, tzinfo=dt.UTC)
    make_issue(9, status="sent", sent_at=sent)

    for url in (reverse("newsletter:archive"), reverse("newsletter:issue", args=[9])):
        page = client.get(url).content.decode()
        assert re.search(r'<time datetime="2026-11-23T\d\d:05:07[+-]\d\d:\d\d">', page), url
        assert ".123456" not in page
