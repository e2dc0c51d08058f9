"""Who may open what: every forum URL answers non-members with the same locked page (why, and
how to get in), which tells nothing about what exists there; private circles answer 404 to the
members outside them. The `visible_to` QuerySet methods get one test per condition."""

import pytest
from django.urls import reverse

from forum.models import Category, Post, Topic
from tests.forum.conftest import make_topic

pytestmark = pytest.mark.django_db


def forum_urls(category, topic):
    post_id = topic.first_post_id
    return [
        ("get", reverse("forum:index")),
        ("get", reverse("forum:search") + "?q=avoidance"),
        ("get", reverse("forum:settings")),
        ("post", reverse("forum:settings")),
        ("post", reverse("forum:mark_all_read")),
        ("get", reverse("forum:category", args=[category.slug])),
        ("get", reverse("forum:new_topic", args=[category.slug])),
        ("post", reverse("forum:new_topic", args=[category.slug])),
        ("get", reverse("forum:topic", args=[topic.pk])),
        ("get", reverse("forum:topic", args=[topic.pk]) + "?page=2"),
        ("get", reverse("forum:reply", args=[topic.pk])),
        ("post", reverse("forum:reply", args=[topic.pk])),
        ("get", reverse("forum:first_unread", args=[topic.pk])),
        ("post", reverse("forum:subscribe", args=[topic.pk])),
        ("post", reverse("forum:unsubscribe", args=[topic.pk])),
        ("get", reverse("forum:post", args=[post_id])),
        ("get", reverse("forum:edit", args=[post_id])),
        ("post", reverse("forum:edit", args=[post_id])),
        ("get", reverse("forum:delete", args=[post_id])),
        ("post", reverse("forum:delete", args=[post_id])),
        ("get", reverse("forum:quote", args=[post_id])),
        ("get", reverse("forum:report", args=[post_id])),
        ("post", reverse("forum:report", args=[post_id])),
        ("post", reverse("forum:hide", args=[post_id])),
        ("post", reverse("forum:restore", args=[post_id])),
    ]


LOCKED = "The Learner Exchange Forum is for enrolled learners"


def assert_all_locked(client, category, topic, why):
    for method, url in forum_urls(category, topic):
        response = getattr(client, method)(url, {"body": "x", "reason": "other"})
        assert response.status_code == 403, (method, url, response.status_code)
        page = response.content.decode()
        assert LOCKED in page and why in page, (method, url)
        assert category.name not in page and topic.title not in page, (method, url)
        assert "no-store" in response["Cache-Control"]


def test_visitor_gets_the_locked_page_on_every_forum_url(client, category, topic):
    assert_all_locked(client, category, topic, "Sign in to open the Learner Exchange Forum")


def test_signed_in_non_member_gets_the_locked_page_on_every_forum_url(
    client_for, outsider, category, topic
):
    assert_all_locked(
        client_for(outsider), category, topic, "It opens when you enrol in any trimester"
    )


def test_refunded_learner_gets_the_locked_page_on_every_forum_url(
    client_for, refunded, category, topic
):
    assert_all_locked(client_for(refunded), category, topic, "was refunded")


def test_learner_loses_the_forum_the_moment_they_are_refunded(client_for, learner, topic):
    c = client_for(learner)
    assert c.get(reverse("forum:topic", args=[topic.pk])).status_code == 200
    learner.enrollments.update(status="refunded")
    response = c.get(reverse("forum:topic", args=[topic.pk]))
    assert response.status_code == 403
    assert "Your access ended on" in response.content.decode()
    assert topic.title not in response.content.decode()


def test_a_non_member_cannot_tell_a_circle_topic_from_one_that_does_not_exist(
    client_for, outsider, circle_topic
):
    c = client_for(outsider)
    circle_page = c.get(reverse("forum:topic", args=[circle_topic.pk]))
    missing_page = c.get(reverse("forum:topic", args=[circle_topic.pk + 1000]))

    assert circle_page.status_code == missing_page.status_code == 403
    assert circle_page.templates[0].name == missing_page.templates[0].name
    assert circle_topic.title not in circle_page.content.decode()
    assert circle_topic.category.name not in circle_page.content.decode()


def test_learner_who_is_not_in_the_circle_gets_404_on_every_circle_url(
    client_for, learner, circle, circle_topic
):
    c = client_for(learner)
    for method, url in forum_urls(circle, circle_topic)[5:]:  # the circle's own URLs
        response = getattr(c, method)(url, {"body": "x", "reason": "other"})
        assert response.status_code == 404, (method, url)


def test_circle_member_staff_and_instructor_open_the_circle_topic(
    client_for, circle_member, staff, instructor, circle_topic
):
    url = reverse("forum:topic", args=[circle_topic.pk])
    for user in (circle_member, staff, instructor):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert "Circle only: a hard case" in response.content.decode()


@pytest.mark.parametrize("persona", ["learner", "other_learner", "staff", "instructor"])
def test_members_open_every_forum_page(request, client_for, persona, category, topic):
    user = request.getfixturevalue(persona)
    c = client_for(user)
    for url in [
        reverse("forum:index"),
        reverse("forum:category", args=[category.slug]),
        reverse("forum:topic", args=[topic.pk]),
        reverse("forum:search") + "?q=opening",
        reverse("forum:settings"),
        reverse("forum:new_topic", args=[category.slug]),
        reverse("forum:reply", args=[topic.pk]),
        reverse("forum:quote", args=[topic.first_post_id]),
    ]:
        response = c.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"]


def test_circle_topics_never_show_to_non_members_in_lists_search_or_counts(
    client_for, learner, category, circle, circle_topic
):
    c = client_for(learner)
    index = c.get(reverse("forum:index")).content.decode()
    assert "Peer circle A" not in index
    search = c.get(reverse("forum:search") + "?q=circle").content.decode()
    assert "Circle only" not in search
    assert "Circle text" not in search
    assert c.get(reverse("forum:search") + "?q=hard").content.decode().count("Circle only") == 0


def test_bad_ids_and_query_strings_give_404_or_a_page_never_500(client_for, learner, topic):
    c = client_for(learner)
    assert c.get("/forum/t/999999/").status_code == 404
    assert c.get("/forum/post/999999/").status_code == 404
    assert c.get("/forum/c/nope/").status_code == 404
    assert c.get(reverse("forum:topic", args=[topic.pk]) + "?page=abc").status_code == 200
    assert c.get(reverse("forum:topic", args=[topic.pk]) + "?page=-4").status_code == 200
    assert c.get(reverse("forum:topic", args=[topic.pk]) + "?page=99999").status_code == 200
    assert c.get(reverse("forum:search") + "?q=" + "x" * 500).status_code == 200
    assert c.get(reverse("forum:search") + "?q=%27%22<>&!|").status_code == 200
    assert c.get(reverse("forum:search") + "?q=%00").status_code == 400  # lib/wellformed.py
    assert c.get("/forum/unsubscribe/garbage/").status_code == 404


# Category.objects.visible_to ----------------------------------------------------------------


def test_categories_are_invisible_to_a_visitor(category):
    from django.contrib.auth.models import AnonymousUser

    assert not Category.objects.visible_to(AnonymousUser()).exists()


def test_categories_are_invisible_to_a_signed_in_non_member(outsider, category):
    assert not Category.objects.visible_to(outsider).exists()


def test_categories_are_invisible_to_a_refunded_learner(refunded, category):
    assert not Category.objects.visible_to(refunded).exists()


def test_learner_sees_open_categories_but_not_a_circle(learner, category, circle):
    assert list(Category.objects.visible_to(learner)) == [category]


def test_learner_of_another_course_sees_open_categories(other_learner, category, circle):
    assert list(Category.objects.visible_to(other_learner)) == [category]


def test_circle_member_sees_their_circle(circle_member, category, circle):
    assert set(Category.objects.visible_to(circle_member)) == {category, circle}


def test_circle_member_does_not_see_another_circle(circle_member, circle):
    other = Category.objects.create(name="Circle B", slug="circle-b", is_private=True)
    assert other not in Category.objects.visible_to(circle_member)


def test_circle_member_who_is_refunded_loses_the_circle(circle_member, circle):
    circle_member.enrollments.update(status="refunded")
    assert not Category.objects.visible_to(circle_member).exists()


@pytest.mark.parametrize("persona", ["staff", "instructor"])
def test_staff_and_instructor_see_every_category(request, persona, category, circle):
    user = request.getfixturevalue(persona)
    assert set(Category.objects.visible_to(user)) == {category, circle}


# Topic.objects.visible_to -------------------------------------------------------------------


def test_topics_are_invisible_to_non_members(outsider, refunded, topic):
    assert not Topic.objects.visible_to(outsider).exists()
    assert not Topic.objects.visible_to(refunded).exists()


def test_learner_sees_open_topics(learner, topic):
    assert list(Topic.objects.visible_to(learner)) == [topic]


def test_learner_does_not_see_circle_topics(learner, topic, circle_topic):
    assert list(Topic.objects.visible_to(learner)) == [topic]


def test_circle_member_sees_circle_topics(circle_member, topic, circle_topic):
    assert set(Topic.objects.visible_to(circle_member)) == {topic, circle_topic}


def test_learner_does_not_see_a_hidden_topic(learner, topic):
    Topic.objects.filter(pk=topic.pk).update(is_hidden=True)
    assert not Topic.objects.visible_to(learner).exists()


def test_staff_see_hidden_and_circle_topics(staff, topic, circle_topic):
    Topic.objects.filter(pk=topic.pk).update(is_hidden=True)
    assert set(Topic.objects.visible_to(staff)) == {topic, circle_topic}


# Post.objects.visible_to --------------------------------------------------------------------


def test_posts_are_invisible_to_non_members(outsider, refunded, topic):
    assert not Post.objects.visible_to(outsider).exists()
    assert not Post.objects.visible_to(refunded).exists()


def test_learner_sees_posts_of_open_topics(learner, topic):
    assert Post.objects.visible_to(learner).count() == 1


def test_learner_does_not_see_posts_of_circle_topics(learner, topic, circle_topic):
    assert set(Post.objects.visible_to(learner).values_list("topic_id", flat=True)) == {topic.pk}


def test_learner_does_not_see_a_hidden_post(learner, topic):
    Post.objects.filter(topic=topic).update(is_hidden=True)
    assert not Post.objects.visible_to(learner).exists()


def test_learner_does_not_see_posts_of_a_hidden_topic(learner, topic):
    Topic.objects.filter(pk=topic.pk).update(is_hidden=True)
    assert not Post.objects.visible_to(learner).exists()


def test_learner_still_sees_a_deleted_post_placeholder(learner, topic):
    Post.objects.filter(topic=topic).update(is_deleted=True, body="")
    assert Post.objects.visible_to(learner).count() == 1


def test_staff_see_hidden_posts_and_circle_posts(staff, topic, circle_topic):
    Post.objects.filter(topic=topic).update(is_hidden=True)
    assert Post.objects.visible_to(staff).count() == 2


def test_moving_a_topic_into_a_circle_hides_it_from_non_members(learner, topic, circle):
    Topic.objects.filter(pk=topic.pk).update(category=circle)
    assert not Topic.objects.visible_to(learner).exists()
    assert not Post.objects.visible_to(learner).exists()


def test_new_topics_in_a_circle_by_staff_stay_in_the_circle(staff, learner, circle):
    make_topic(circle, staff, title="Staff note to the circle")
    assert not Topic.objects.visible_to(learner).exists()


# The pages show exactly what `visible_to` allows: a category's topics, a topic's posts -----


@pytest.mark.parametrize("persona", ["learner", "circle_member", "staff", "instructor"])
def test_category_and_topic_pages_show_exactly_what_visible_to_allows(
    request, client_for, persona, category, circle, topic, circle_topic, learner
):
    hidden = make_topic(category, learner, title="Hidden by staff")
    Topic.objects.filter(pk=hidden.pk).update(is_hidden=True)
    Post.objects.create(topic=topic, author=learner, body="Hidden reply", is_hidden=True)
    user = request.getfixturevalue(persona)
    c = client_for(user)

    for cat in Category.objects.all():
        response = c.get(reverse("forum:category", args=[cat.slug]))
        if not Category.objects.visible_to(user).filter(pk=cat.pk).exists():
            assert response.status_code == 404
            continue
        listed = {t.id for t in response.context["page"].object_list}
        assert listed == set(
            Topic.objects.visible_to(user).filter(category=cat).values_list("pk", flat=True)
        )
    for t in Topic.objects.all():
        response = c.get(reverse("forum:topic", args=[t.pk]))
        if not Topic.objects.visible_to(user).filter(pk=t.pk).exists():
            assert response.status_code == 404
            continue
        shown = {p.id for p in response.context["posts"]}
        assert shown == set(
            Post.objects.visible_to(user).filter(topic=t).values_list("pk", flat=True)
        )
    if persona in ("learner", "circle_member"):
        assert "Hidden reply" not in c.get(topic.get_absolute_url()).content.decode()


@pytest.mark.parametrize("persona", ["outsider", "refunded", None])
def test_the_forum_front_page_is_a_locked_page_that_says_who_the_forum_is_for(
    request, client_for, client, category, topic, persona
):
    c = client_for(request.getfixturevalue(persona)) if persona else client

    response = c.get(reverse("forum:index"))

    assert response.status_code == 403
    page = response.content.decode()
    assert LOCKED in page
    assert f'href="{reverse("home")}#program-title"' in page
    assert category.name not in page and topic.title not in page
