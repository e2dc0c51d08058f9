"""Reports, the admin queue and what staff can do there: hide and restore posts, dismiss
reports, pin, lock, hide and move topics, suspend a member from posting."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from forum import services
from forum.models import Category, ForumProfile, Post, Report, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(topic, second_learner):
    return services.create_reply(
        topic=topic, author=second_learner, body="Something unkind.", fmt="plain"
    )


def test_member_reports_a_post_with_a_reason(client_for, learner, reply):
    c = client_for(learner)
    assert c.get(reverse("forum:report", args=[reply.pk])).status_code == 200
    response = c.post(
        reverse("forum:report", args=[reply.pk]),
        {"reason": "disrespectful", "details": "Unkind to a colleague"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.post, report.reporter, report.reason, report.status) == (
        reply,
        learner,
        "disrespectful",
        "open",
    )
    # Reporting again updates the open report rather than piling up.
    c.post(reverse("forum:report", args=[reply.pk]), {"reason": "other", "details": ""})
    assert Report.objects.get().reason == "other"


def test_report_needs_a_valid_reason(client_for, learner, reply):
    response = client_for(learner).post(reverse("forum:report", args=[reply.pk]), {"reason": "meh"})
    assert response.status_code == 200
    assert not Report.objects.exists()


def test_staff_see_the_report_queue_and_filter_it(client_for, staff, instructor, learner, reply):
    services.report_post(post=reply, reporter=learner, reason="identifying", details="")
    for user in (staff, instructor):
        c = client_for(user)
        page = c.get(reverse("admin:forum_report_changelist"))
        assert page.status_code == 200
        assert "It may identify a client" in page.content.decode()
        assert (
            c.get(
                reverse("admin:forum_report_changelist") + "?status__exact=open&q=unkind"
            ).status_code
            == 200
        )
        assert (
            c.get(reverse("admin:forum_report_change", args=[Report.objects.get().pk])).status_code
            == 200
        )


def test_hide_action_in_the_queue_hides_the_post_for_members_but_not_staff(
    client_for, staff, learner, topic, reply
):
    services.report_post(post=reply, reporter=learner, reason="disrespectful", details="")
    report = Report.objects.get()
    response = client_for(staff).post(
        reverse("admin:forum_report_changelist"),
        {"action": "hide_post", "_selected_action": [report.pk]},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.is_hidden and reply.hidden_by == staff
    report.refresh_from_db()
    assert (report.status, report.resolved_by) == ("hidden", staff)

    member_page = client_for(learner).get(topic.get_absolute_url()).content.decode()
    assert "Something unkind." not in member_page
    assert client_for(learner).get(reverse("forum:post", args=[reply.pk])).status_code == 404
    staff_page = client_for(staff).get(topic.get_absolute_url()).content.decode()
    assert "Something unkind." in staff_page
    assert "Hidden by staff" in staff_page
    topic.refresh_from_db()
    assert topic.post_count == 1


def test_restore_action_shows_the_post_again(client_for, staff, learner, topic, reply):
    services.hide_post(post=reply, by=staff)
    client_for(staff).post(
        reverse("admin:forum_post_changelist"),
        {"action": "restore", "_selected_action": [reply.pk]},
    )
    assert "Something unkind." in client_for(learner).get(topic.get_absolute_url()).content.decode()


def test_restore_action_in_the_queue_undoes_a_hide(client_for, staff, learner, topic, reply):
    services.report_post(post=reply, reporter=learner, reason="other", details="")
    services.hide_post(post=reply, by=staff)

    client_for(staff).post(
        reverse("admin:forum_report_changelist"),
        {"action": "restore_post", "_selected_action": [Report.objects.get().pk]},
    )

    assert "Something unkind." in client_for(learner).get(topic.get_absolute_url()).content.decode()
    topic.refresh_from_db()
    assert topic.post_count == 2


def test_dismiss_action_closes_the_report_and_keeps_the_post(client_for, staff, learner, reply):
    services.report_post(post=reply, reporter=learner, reason="other", details="")
    client_for(staff).post(
        reverse("admin:forum_report_changelist"),
        {"action": "dismiss", "_selected_action": [Report.objects.get().pk]},
    )
    assert Report.objects.get().status == "dismissed"
    assert not Post.objects.get(pk=reply.pk).is_hidden


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [("pin", "is_pinned", True), ("lock", "is_locked", True), ("hide", "is_hidden", True)],
)
def test_topic_actions(client_for, staff, topic, action, field, value):
    client_for(staff).post(
        reverse("admin:forum_topic_changelist"), {"action": action, "_selected_action": [topic.pk]}
    )
    assert getattr(Topic.objects.get(pk=topic.pk), field) is value


def test_staff_move_a_topic_to_another_category(client_for, staff, topic):
    target = Category.objects.create(name="Trimester 1", slug="t1")
    response = client_for(staff).post(
        reverse("admin:forum_topic_change", args=[topic.pk]),
        {"title": topic.title, "category": target.pk, "is_pinned": "", "is_locked": "on"},
    )
    assert response.status_code == 302
    topic.refresh_from_db()
    assert (topic.category, topic.is_locked) == (target, True)


def test_staff_manage_circle_membership_in_the_admin(client_for, staff, circle, learner):
    c = client_for(staff)
    assert c.get(reverse("admin:forum_category_change", args=[circle.pk])).status_code == 200
    response = c.post(
        reverse("admin:forum_category_change", args=[circle.pk]),
        {
            "name": circle.name,
            "slug": circle.slug,
            "description": "",
            "order": 2,
            "is_private": "on",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-user": learner.pk,
        },
    )
    assert response.status_code == 302
    assert circle.memberships.filter(user=learner).exists()
    assert Category.objects.visible_to(learner).filter(pk=circle.pk).exists()


def test_staff_suspend_a_member_from_posting(client_for, staff, second_learner, topic):
    profile = services.get_profile(second_learner)
    client_for(staff).post(
        reverse("admin:forum_forumprofile_changelist"),
        {"action": "suspend", "_selected_action": [profile.pk]},
    )
    assert ForumProfile.objects.get(pk=profile.pk).posting_suspended
    c = client_for(second_learner)
    assert c.get(topic.get_absolute_url()).status_code == 200
    c.post(reverse("forum:reply", args=[topic.pk]), {"body": "hello", "format": "plain"})
    assert topic.posts.count() == 1


def test_learner_cannot_open_the_forum_admin(client_for, learner):
    response = client_for(learner).get(reverse("admin:forum_report_changelist"))
    assert response.status_code == 302


def test_admin_changelists_open(client_for, staff, reply):
    c = client_for(staff)
    for name in ["category", "topic", "post", "report", "forumprofile"]:
        assert c.get(reverse(f"admin:forum_{name}_changelist")).status_code == 200, name
    assert c.get(reverse("admin:forum_post_change", args=[reply.pk])).status_code == 200


def test_a_new_report_tells_each_moderator_without_the_text(
    client_for,
    learner,
    staff,
    instructor,
    second_learner,
    reply,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    from tests import factories

    factories.make_user("plain-staff@example.com", is_staff=True)  # no moderation permission
    with django_capture_on_commit_callbacks(execute=True):
        client_for(learner).post(
            reverse("forum:report", args=[reply.pk]),
            {"reason": "disrespectful", "details": "Unkind to Mrs Parker"},
        )

    assert sorted(m.to[0] for m in mailoutbox) == sorted([staff.email, instructor.email])
    report = Report.objects.get()
    for message in mailoutbox:
        assert "It is disrespectful or harassing" in message.subject
        assert reverse("admin:forum_report_change", args=[report.pk]) in message.body
        for part in (message.subject, message.body, message.alternatives[0][0]):
            assert "Something unkind" not in part
            assert "Mrs Parker" not in part
            assert learner.email not in part and "Lee" not in part

    # Updating one's own open report does not email again.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(learner).post(reverse("forum:report", args=[reply.pk]), {"reason": "other"})
    assert len(mailoutbox) == 2


def test_no_moderator_email_for_a_report_already_dealt_with(staff, learner, reply, mailoutbox):
    from forum import tasks

    report = Report.objects.create(post=reply, reporter=learner, reason="other")
    services.hide_post(post=reply, by=staff)

    assert tasks.notify_moderators(report.pk) == 0
    assert mailoutbox == []


def test_staff_hide_and_restore_a_post_from_the_topic_page(
    client_for, staff, learner, topic, reply
):
    services.report_post(post=reply, reporter=learner, reason="other", details="")
    c = client_for(staff)
    assert "Hide from members" in c.get(topic.get_absolute_url()).content.decode()

    response = c.post(reverse("forum:hide", args=[reply.pk]))

    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.is_hidden and reply.hidden_by == staff
    assert Report.objects.get().status == "hidden"
    assert (
        "Something unkind."
        not in client_for(learner).get(topic.get_absolute_url()).content.decode()
    )
    assert "Restore for members" in c.get(topic.get_absolute_url()).content.decode()

    c.post(reverse("forum:restore", args=[reply.pk]))

    assert "Something unkind." in client_for(learner).get(topic.get_absolute_url()).content.decode()


@pytest.mark.parametrize("persona", ["learner", "second_learner", "outsider"])
def test_members_cannot_hide_or_restore_posts(request, client_for, staff, topic, reply, persona):
    c = client_for(request.getfixturevalue(persona))
    assert "Hide from members" not in c.get(topic.get_absolute_url()).content.decode()
    # A member is refused with 404; an outsider meets the forum's locked page first (403).
    refused = 403 if persona == "outsider" else 404

    assert c.post(reverse("forum:hide", args=[reply.pk])).status_code == refused
    services.hide_post(post=reply, by=staff)
    assert c.post(reverse("forum:restore", args=[reply.pk])).status_code == refused
    reply.refresh_from_db()
    assert reply.is_hidden


def test_staff_without_the_moderation_permission_cannot_hide(client_for, topic, reply):
    from tests import factories

    plain_staff = factories.make_user("plain-staff@example.com", is_staff=True)

    assert client_for(plain_staff).post(reverse("forum:hide", args=[reply.pk])).status_code == 404
    reply.refresh_from_db()
    assert not reply.is_hidden


def test_posts_deleted_in_the_admin_leave_the_topics_counters_right(
    client_for, staff, learner, topic
):
    """Members' pages of a topic are counted from its counter and pages near the end are read
    from the end, so a post deleted in the admin must be counted out at once."""
    from tests.forum.conftest import add_posts

    add_posts(topic, learner, 44)  # 45 posts: 3 pages
    ids = list(topic.posts.order_by("id").values_list("id", flat=True))
    c = client_for(staff)
    c.post(reverse("admin:forum_post_delete", args=[ids[-1]]), {"post": "yes"})
    c.post(
        reverse("admin:forum_post_changelist"),
        {"action": "delete_selected", "_selected_action": ids[-5:-1], "post": "yes"},
    )
    assert not Post.objects.filter(pk__in=ids[-5:]).exists()
    topic.refresh_from_db()
    assert (topic.post_count, topic.last_post_id) == (40, ids[-6])
    last = client_for(learner).get(topic.get_absolute_url() + "?page=last")
    assert last.context["page"].number == 2
    assert [p.id for p in last.context["posts"]] == ids[20:40]


def test_report_queue_lists_open_reports_first_newest_first(client_for, staff, learner, topic):
    reports = []
    for n, status in enumerate(["open", "dismissed", "open", "hidden", "dismissed"]):
        post = Post.objects.create(topic=topic, author=learner, body=f"Reply {n}")
        reports.append(
            Report.objects.create(
                post=post,
                reporter=learner,
                reason="other",
                status=status,
                created_at=timezone.now() - dt.timedelta(hours=10 - n),
            )
        )

    response = client_for(staff).get(reverse("admin:forum_report_changelist"))

    shown = list(response.context["cl"].result_list)
    assert shown == [reports[2], reports[0], reports[4], reports[3], reports[1]]
