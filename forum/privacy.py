"""The forum's part of the data export and account erasure (see accounts/privacy.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from forum.models import CircleMembership, ForumProfile, Post, ReadState, Report, Subscription
from forum.services import delete_post, refresh_topic_stats

DELETION_PLAN = {
    "forum.CircleMembership.user": "erased",
    "forum.Topic.author": "kept as a former member's, or erased by choice",
    "forum.Topic.last_poster": "kept: a counter, recomputed when posts are erased",
    "forum.Post.author": "kept as a former member's, or erased by choice",
    "forum.Post.hidden_by": "kept: staff moderation",
    "forum.Subscription.user": "erased",
    "forum.ReadState.user": "erased",
    "forum.ForumProfile.user": "erased",
    "forum.Report.reporter": "erased",
    "forum.Report.resolved_by": "kept: staff moderation",
}


def export(user: User) -> dict[str, Any]:
    forum_profile = ForumProfile.objects.filter(user=user).first()
    return {
        "forum": {
            "handle": forum_profile.handle if forum_profile else None,
            "email_mode": forum_profile.email_mode if forum_profile else None,
            "posts": [
                {
                    "topic": p.topic.title,
                    "category": p.topic.category.name,
                    "opens_topic": p.pk == p.topic.first_post_id,
                    "body": p.body,
                    "format": p.format,
                    "created_at": iso(p.created_at),
                    "edited_at": iso(p.edited_at),
                    "deleted": p.is_deleted,
                    "hidden_by_staff": p.is_hidden,
                }
                for p in Post.objects.filter(author=user).select_related("topic__category")
            ],
            "following": [
                s.topic.title
                for s in Subscription.objects.filter(user=user).select_related("topic")
            ],
            "circles": [
                m.category.name
                for m in CircleMembership.objects.filter(user=user).select_related("category")
            ],
            "reports_filed": [
                {
                    "post": r.post_id,
                    "reason": r.reason,
                    "details": r.details,
                    "status": r.status,
                    "created_at": iso(r.created_at),
                }
                for r in Report.objects.filter(reporter=user)
            ],
        },
    }


def erase(user: User, *, keep_posts: bool) -> None:
    """Forget what the member did in the forum; their posts stay under FORMER_MEMBER (the
    user row is anonymised last) unless they chose to erase them."""
    Subscription.objects.filter(user=user).delete()
    ReadState.objects.filter(user=user).delete()
    CircleMembership.objects.filter(user=user).delete()
    Report.objects.filter(reporter=user).delete()
    ForumProfile.objects.filter(user=user).delete()
    if keep_posts:
        return
    for topic in user.forum_topics.all():
        if not topic.posts.exclude(author=user).exists():
            topic.delete()
        else:
            topic.title = "A topic by a former member"
            topic.save(update_fields=["title"])
    touched = set()
    for post in user.forum_posts.select_related("topic"):
        delete_post(post=post)
        touched.add(post.topic)
    for topic in touched:
        refresh_topic_stats(topic)
