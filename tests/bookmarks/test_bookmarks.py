"""Save for later (issue 24, point 4): lessons, library entries and forum topics, saved with a
plain POST form (no JavaScript needed), listed on the dashboard while the learner may still
open them, in the data export and erased with the account."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts import services as account_services
from bookmarks.models import Bookmark
from courses.models import Enrollment
from forum.models import Category, CircleMembership
from tests import factories
from tests.forum.conftest import make_topic
from tests.qa.conftest import make_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(course):
    return factories.make_lesson(course, title="Role of emotion", slug="role-of-emotion")


@pytest.fixture
def entry(db):
    return make_entry(title="When a client cancels often")


@pytest.fixture
def forum_topic(learner):
    category = Category.objects.create(name="Practice questions", slug="practice", order=1)
    return make_topic(category, learner, title="Working with shame")


def save_url(kind: str, pk: int) -> str:
    return reverse("bookmarks:save", kwargs={"kind": kind, "pk": pk})


@pytest.mark.parametrize("kind", ["lesson", "library", "topic"])
def test_a_learner_saves_and_removes_each_kind(
    client_for, learner, lesson, entry, forum_topic, kind
):
    target = {"lesson": lesson, "library": entry, "topic": forum_topic}[kind]
    c = client_for(learner)
    page = c.get(target.get_absolute_url())
    assert page.status_code == 200
    assert f'action="{save_url(kind, target.pk)}"' in page.content.decode()
    assert "Save for later" in page.content.decode()

    response = c.post(save_url(kind, target.pk), {"saved": "1"})
    assert response.status_code == 302
    assert response["Location"] == target.get_absolute_url()
    assert Bookmark.objects.filter(user=learner).count() == 1
    c.post(save_url(kind, target.pk), {"saved": "1"})  # twice: still one
    assert Bookmark.objects.filter(user=learner).count() == 1
    assert "Remove from saved" in c.get(target.get_absolute_url()).content.decode()

    dashboard = c.get(reverse("courses:dashboard")).content.decode()
    assert "Saved for later" in dashboard
    assert f'href="{target.get_absolute_url()}"' in dashboard

    c.post(save_url(kind, target.pk), {"saved": "0"})
    assert not Bookmark.objects.exists()
    assert "Saved for later" not in c.get(reverse("courses:dashboard")).content.decode()


def test_it_returns_to_the_page_it_was_saved_from_on_this_site_only(client_for, learner, lesson):
    c = client_for(learner)
    back = f"{lesson.get_absolute_url()}?x=1"
    response = c.post(save_url("lesson", lesson.pk), {"saved": "1", "next": back})
    assert response["Location"] == back
    response = c.post(save_url("lesson", lesson.pk), {"next": "https://evil.example/"})
    assert response["Location"] == lesson.get_absolute_url()


def test_what_the_person_may_not_open_answers_404_and_is_not_saved(
    client_for, other_learner, outsider, lesson, entry, forum_topic
):
    for user, kind, target in [
        (other_learner, "lesson", lesson),  # another course's lesson
        (outsider, "library", entry),  # not a member
        (outsider, "topic", forum_topic),
    ]:
        assert client_for(user).post(save_url(kind, target.pk), {"saved": "1"}).status_code == 404
    assert not Bookmark.objects.exists()


def test_an_unknown_kind_or_a_get_is_refused(client_for, learner, lesson):
    c = client_for(learner)
    assert c.post(save_url("question", lesson.pk), {"saved": "1"}).status_code == 404
    assert c.get(save_url("lesson", lesson.pk)).status_code == 405


def test_a_visitor_is_sent_to_sign_in(client, lesson):
    assert client.post(save_url("lesson", lesson.pk)).status_code == 302
    assert not Bookmark.objects.exists()


def test_a_private_circle_topic_is_saved_by_members_only(client_for, learner, cohort):
    circle = Category.objects.create(name="Circle", slug="circle", order=2, is_private=True)
    member = factories.make_user("member@example.com")
    factories.enrol(member, cohort)
    CircleMembership.objects.create(category=circle, user=member)
    circle_topic = make_topic(circle, member, title="Circle only: a hard case")
    assert client_for(learner).post(save_url("topic", circle_topic.pk)).status_code == 404
    assert client_for(member).post(save_url("topic", circle_topic.pk)).status_code == 302


def test_the_dashboard_leaves_out_what_is_no_longer_visible(
    client_for, learner, lesson, entry, forum_topic
):
    for target in (lesson, entry, forum_topic):
        client_for(learner).post(
            save_url({lesson: "lesson", entry: "library"}.get(target, "topic"), target.pk)
        )
    assert Bookmark.objects.filter(user=learner).count() == 3
    forum_topic.is_hidden = True
    forum_topic.save()
    dashboard = client_for(learner).get(reverse("courses:dashboard")).content.decode()
    assert "When a client cancels often" in dashboard
    assert "Role of emotion" in dashboard
    assert "Working with shame" not in dashboard

    # A refund takes the course, the library and the forum away at once.
    Enrollment.objects.filter(user=learner).update(status=Enrollment.Status.REFUNDED)
    dashboard = client_for(learner).get(reverse("courses:dashboard")).content.decode()
    assert "Saved for later" not in dashboard
    assert "When a client cancels often" not in dashboard


def test_the_dashboard_lists_saved_items_in_a_constant_number_of_queries(
    client_for, learner, course
):
    c = client_for(learner)
    c.get(reverse("courses:dashboard"))

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            c.get(reverse("courses:dashboard"))
        return len(ctx.captured_queries)

    lessons = [
        factories.make_lesson(course, title=f"L{i}", slug=f"l{i}", order=i) for i in range(1, 4)
    ]
    Bookmark.objects.create(user=learner, lesson=lessons[0])
    one = count()
    for lesson in lessons[1:]:
        Bookmark.objects.create(user=learner, lesson=lesson)
    for _ in range(3):
        Bookmark.objects.create(user=learner, library_entry=make_entry())
    assert count() == one
    assert one <= 12


def test_a_bookmark_points_at_exactly_one_thing(learner, lesson, entry):
    with pytest.raises(IntegrityError), transaction.atomic():
        Bookmark.objects.create(user=learner)
    with pytest.raises(IntegrityError), transaction.atomic():
        Bookmark.objects.create(user=learner, lesson=lesson, library_entry=entry)
    Bookmark.objects.create(user=learner, lesson=lesson)
    with pytest.raises(IntegrityError), transaction.atomic():
        Bookmark.objects.create(user=learner, lesson=lesson)


def test_bookmarks_are_in_the_data_export_and_erased_with_the_account(learner, lesson, entry):
    Bookmark.objects.create(user=learner, lesson=lesson)
    Bookmark.objects.create(user=learner, library_entry=entry)
    export = account_services.export_user_data(user=learner)
    assert [(b["kind"], b["title"]) for b in export["saved_for_later"]] == [
        ("Lesson", "Role of emotion"),
        ("Q&A library", "When a client cancels often"),
    ]
    account_services.delete_account(user=learner, keep_forum_posts=False)
    assert not Bookmark.objects.exists()


def test_a_next_that_is_not_a_path_of_this_site_leads_back_to_the_thing(
    client_for, learner, course
):
    """`next` goes back to the page the form was on; anything else (a view name, a number,
    another site) leads to the saved thing's own page, never to an error."""

    lesson = factories.make_lesson(course)
    c = client_for(learner)
    url = reverse("bookmarks:save", args=["lesson", lesson.pk])
    for odd in ["18446744073709551616", "home", "//evil.example/", "https://evil.example/"]:
        response = c.post(url, {"next": odd})
        assert response.status_code == 302, odd
        assert response["Location"] == lesson.get_absolute_url(), odd
    assert c.post(url, {"next": "/dashboard/"})["Location"] == "/dashboard/"
