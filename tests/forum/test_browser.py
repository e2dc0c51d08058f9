"""The forum journey in a real browser: two learners converse and each is notified by email of
the other's reply, the second reports a post, staff hide it in the admin, and it disappears for
members."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from forum.models import Post, Report, Topic

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_learners_converse_and_staff_hide_a_reported_post(
    page, live_server, login_browser, screenshot_dir, learner, second_learner, staff, category
):
    # Learner A starts a topic.
    login_browser(learner)
    page.goto(f"{live_server.url}/forum/")
    page.get_by_role("link", name="Practice questions").click()
    page.get_by_role("link", name="New topic").click()
    expect(page.get_by_text("Protect your clients.")).to_be_visible()
    page.get_by_label("Title").fill("Staying with shame in session")
    page.get_by_label("Your post").fill("How do you *stay* with shame when it shows up?")
    page.screenshot(path=screenshot_dir / "forum-new-topic.png", full_page=True)
    page.get_by_role("button", name="Post topic").click()
    expect(page.get_by_role("heading", name="Staying with shame in session")).to_be_visible()
    topic_url = page.url.split("#")[0]

    # Learner B replies.
    login_browser(second_learner)
    page.goto(topic_url)
    page.get_by_label("Your post").fill("I slow down and name it gently.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted.")).to_be_visible()
    expect(page.get_by_text("I slow down and name it gently.")).to_be_visible()

    # A is told who replied where, without the text.
    to_a = [m for m in mail.outbox if m.to == [learner.email]]
    assert len(to_a) == 1
    assert "Sam Second, LPC replied in “Staying with shame in session”" in to_a[0].subject
    assert "name it gently" not in to_a[0].body

    # A answers; B, who follows the topic since replying, is told in turn.
    login_browser(learner)
    page.goto(topic_url)
    page.get_by_label("Your post").fill("Thank you, that helps.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply is posted.")).to_be_visible()
    to_b = [m for m in mail.outbox if m.to == [second_learner.email]]
    assert len(to_b) == 1
    assert "Lee Learner, LMHC replied in “Staying with shame in session”" in to_b[0].subject
    assert "that helps" not in to_b[0].body

    # B reports A's opening post.
    login_browser(second_learner)
    page.goto(topic_url)
    opening = Post.objects.filter(author=learner).order_by("id").first()
    page.locator(f"#post-{opening.pk}").get_by_role("link", name="Report").click()
    page.get_by_label("It is disrespectful or harassing").check()
    page.get_by_label("Anything staff should know (optional)").fill("Testing the queue.")
    page.get_by_role("button", name="Send report").click()
    expect(page.get_by_text("Thank you. Staff will look at this post soon.")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshot_dir / "forum-topic-phone.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    # Staff hide it from the report queue in the admin.
    login_browser(staff)
    page.goto(f"{live_server.url}/admin/forum/report/")
    expect(
        page.get_by_role("cell", name="It is disrespectful or harassing", exact=True)
    ).to_be_visible()
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("hide_post")
    page.screenshot(path=screenshot_dir / "forum-report-queue.png", full_page=True)
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 post(s) hidden.")).to_be_visible()
    assert Report.objects.get().status == "hidden"

    # Staff still see it, marked; members no longer do.
    page.goto(topic_url)
    expect(page.get_by_text(re.compile("Hidden by staff"))).to_be_visible()
    login_browser(second_learner)
    page.goto(topic_url)
    expect(page.get_by_text("I slow down and name it gently.")).to_be_visible()
    expect(page.get_by_text("How do you")).to_have_count(0)
    expect(page.get_by_text("Thank you, that helps.")).to_be_visible()
    page.screenshot(path=screenshot_dir / "forum-after-hiding.png", full_page=True)
    assert Topic.objects.get().post_count == 2


def test_times_read_as_how_long_ago_with_the_moment_as_tooltip(
    page, live_server, login_browser, learner, second_learner, category
):
    """The server writes each moment in the reader's time zone; static/js/times.js words it
    relatively, so a cached post still says how long ago it was."""
    import datetime as dt

    from django.utils import timezone

    from forum import services as forum_services

    topic = forum_services.create_topic(
        category=category, author=second_learner, title="Aging", body="Old words", fmt="plain"
    )
    three_minutes_ago = timezone.now() - dt.timedelta(minutes=3, seconds=20)
    Post.objects.filter(topic=topic).update(created_at=three_minutes_ago)
    two_days_ago = timezone.now() - dt.timedelta(days=2, hours=5)
    Topic.objects.filter(pk=topic.pk).update(created_at=two_days_ago)
    login_browser(learner)
    page.goto(f"{live_server.url}{topic.get_absolute_url()}")
    moment = page.locator(f"#post-{topic.posts.get().pk} time")
    expect(moment).to_have_text("3 minutes ago")
    expect(moment).to_have_attribute("title", re.compile(r"\d{1,2} \w{3} \d{4}, \d\d:\d\d"))
    page.goto(f"{live_server.url}{category.get_absolute_url()}")
    expect(page.locator(".forum-topic time").first).to_have_text("2 days ago")
