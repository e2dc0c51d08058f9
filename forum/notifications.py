"""Forum emails: replies to followed topics, @mentions, the daily digest, and reports for the
moderators; and the signed one-click unsubscribe links they carry.

Emails say who posted where, with a link; never the text of a post. Every recipient is
checked against `Topic.objects.visible_to` at send time, so a circle's topic never reaches
a non-member and a refunded learner gets nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.notifications import opt_out
from forum import rendering
from forum.models import ForumProfile, Post, Report, Subscription, Topic
from forum.services import read_marker_for
from outbox.services import queue_email

if TYPE_CHECKING:
    from accounts.models import User

UNSUBSCRIBE_SALT = "forum.unsubscribe"


# Moderators --------------------------------------------------------------------------------


def moderators() -> models.QuerySet[User]:
    """Active staff who may act on reports (the Staff and Instructor roles, superusers)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(content_type__app_label="forum", codename="change_report")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            models.Q(is_superuser=True)
            | models.Q(user_permissions__in=perm)
            | models.Q(groups__permissions__in=perm)
        )
        .distinct()
    )


@transaction.atomic
def notify_moderators(*, report_id: int) -> int:
    """Tell the moderators that a post was reported: the reason and a link to the queue,
    never the post, the details or who reported it."""
    report = Report.objects.filter(pk=report_id, status=Report.Status.OPEN).first()
    if report is None:
        return 0
    recipients = sorted(moderators().values_list("email", flat=True))
    queue = _absolute(reverse("admin:forum_report_changelist"))
    context = {
        "reason": report.get_reason_display(),
        "report_url": _absolute(reverse("admin:forum_report_change", args=[report.pk])),
        "queue_url": queue + "?status__exact=open",
        "open_count": Report.objects.filter(status=Report.Status.OPEN).count(),
    }
    for email in recipients:
        queue_email("forum_reported", [email], context)
    return len(recipients)


# Followers, mentions and digests -----------------------------------------------------------


def unsubscribe_token(user_id: int, topic_id: int | None = None) -> str:
    return signing.dumps({"u": user_id, "t": topic_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, int | None] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        return int(data["u"]), (int(data["t"]) if data.get("t") is not None else None)
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


@transaction.atomic
def unsubscribe_by_token(*, user_id: int, topic_id: int | None) -> None:
    """One-click unsubscribe: from one topic, or from all forum email."""
    if topic_id is None:
        ForumProfile.objects.filter(user_id=user_id).update(email_mode=ForumProfile.EmailMode.OFF)
    else:
        Subscription.objects.filter(user_id=user_id, topic_id=topic_id).delete()


def _unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _can_see(user: User, topic_id: int) -> bool:
    return Topic.objects.visible_to(user).filter(pk=topic_id).exists()


def _where(topic: Topic, poster: User) -> dict[str, object]:
    """What an email may say about where a post is. A private circle's topic titles, its name
    and who posts there stay on the site, as every post's text does: its emails say only
    "one of your private circles", with the link."""
    if topic.in_private_circle:
        return {"private_circle": True}
    return {"private_circle": False, "topic_title": topic.title, "poster": poster.public_name}


@transaction.atomic
def notify_subscribers(*, post_id: int) -> int:
    """Email followers who chose "right away" about a new post. Idempotent per post: each
    follower's claim commits with their email."""
    post = (
        Post.objects.select_related("topic__category", "author")
        .filter(pk=post_id, is_hidden=False, is_deleted=False)
        .first()
    )
    if post is None:
        return 0
    subs = (
        Subscription.objects.filter(topic_id=post.topic_id, notified_up_to__lt=post.pk)
        .exclude(user_id=post.author_id)
        .filter(user__is_active=True, user__forum_profile__email_mode="immediate")
        .select_related("user")
    )
    sent = 0
    for sub in subs:
        user = sub.user
        # Claim the notification first so a retried task never sends it twice.
        claimed = Subscription.objects.filter(pk=sub.pk, notified_up_to__lt=post.pk).update(
            notified_up_to=post.pk
        )
        if not claimed or not _can_see(user, post.topic_id):
            continue
        topic_token = unsubscribe_token(user.pk, post.topic_id)
        all_token = unsubscribe_token(user.pk)
        one_click = _absolute(reverse("forum:email_unsubscribe", args=[all_token]))
        queue_email(
            "forum_reply",
            [user.email],
            {
                "name": user.get_short_name(),
                **_where(post.topic, post.author),
                "post_url": _absolute(post.get_absolute_url()),
                "unfollow_url": _absolute(reverse("forum:email_unsubscribe", args=[topic_token])),
                "unsubscribe_url": one_click,
            },
            _unsubscribe_headers(one_click),
        )
        sent += 1
    return sent


@transaction.atomic
def notify_mentions(*, post_id: int) -> int:
    """Tell each mentioned member (who may see the topic) that they were mentioned."""
    post = (
        Post.objects.select_related("topic__category", "author")
        .filter(pk=post_id, is_hidden=False, is_deleted=False)
        .first()
    )
    if post is None or post.edited_at is not None:
        return 0
    handles = rendering.find_mentions(post.body)
    if not handles:
        return 0
    # Followers who get every reply right away hear of this post from notify_subscribers:
    # one email per post is enough.
    followers_told = Subscription.objects.filter(
        topic_id=post.topic_id, user__forum_profile__email_mode=ForumProfile.EmailMode.IMMEDIATE
    ).values("user_id")
    profiles = (
        ForumProfile.objects.filter(handle__in=handles, user__is_active=True)
        .exclude(user_id=post.author_id)
        .exclude(email_mode=ForumProfile.EmailMode.OFF)
        .exclude(user__email_settings__forum_mentions=False)
        .exclude(user_id__in=followers_told)
        .select_related("user")
    )
    sent = 0
    for profile in profiles:
        user = profile.user
        if not _can_see(user, post.topic_id):
            continue
        off, headers = opt_out(user_id=user.pk, kind="forum_mentions")
        queue_email(
            "forum_mention",
            [user.email],
            {
                "name": user.get_short_name(),
                **_where(post.topic, post.author),
                "post_url": _absolute(post.get_absolute_url()),
                **off,
            },
            headers,
        )
        sent += 1
    return sent


@transaction.atomic
def send_digest(*, user_id: int, now: dt.datetime | None = None) -> bool:
    """One member's daily digest: followed topics with new posts by others since the last
    email or visit. Returns whether an email was sent."""
    now = now or timezone.now()
    profile = (
        ForumProfile.objects.select_related("user")
        .filter(user_id=user_id, email_mode=ForumProfile.EmailMode.DAILY, user__is_active=True)
        .first()
    )
    if profile is None:
        return False
    user = profile.user
    subs = list(
        Subscription.objects.filter(
            user=user,
            topic__in=Topic.objects.visible_to(user),
            topic__last_post_id__gt=models.F("notified_up_to"),
        ).select_related("topic__category")
    )
    items: list[dict[str, object]] = []
    for sub in subs:
        since = max(sub.notified_up_to, _read_up_to(user, sub.topic))
        new = Post.objects.visible_to(user).filter(
            topic=sub.topic, id__gt=since, is_hidden=False, is_deleted=False
        )
        new = new.exclude(author=user)
        first = new.order_by("id").values("id").first()
        if first:
            item: dict[str, object] = {
                "private_circle": sub.topic.in_private_circle,
                "count": new.count(),
                "url": _absolute(reverse("forum:post", args=[first["id"]])),
            }
            if not sub.topic.in_private_circle:  # a circle's topic and posters stay on the site
                latest = new.select_related("author").order_by("id")[:20]
                item["topic_title"] = sub.topic.title
                item["posters"] = sorted({p.author.public_name for p in latest})
            items.append(item)
        Subscription.objects.filter(pk=sub.pk).update(notified_up_to=sub.topic.last_post_id)
    ForumProfile.objects.filter(pk=profile.pk).update(last_digest_at=now)
    if not items:
        return False
    one_click = _absolute(reverse("forum:email_unsubscribe", args=[unsubscribe_token(user.pk)]))
    queue_email(
        "forum_digest",
        [user.email],
        {
            "name": user.get_short_name(),
            "items": items,
            "unsubscribe_url": one_click,
        },
        _unsubscribe_headers(one_click),
    )
    return True


def _read_up_to(user: User, topic: Topic) -> int:
    return read_marker_for(user, topic)


def digest_recipients() -> list[int]:
    """Members on the daily digest who follow a topic with something new."""
    return list(
        Subscription.objects.filter(
            topic__last_post_id__gt=models.F("notified_up_to"),
            user__forum_profile__email_mode=ForumProfile.EmailMode.DAILY,
            user__is_active=True,
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
