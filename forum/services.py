"""Forum use cases: profiles, posting, editing, moderation, read state and following. The
emails these lead to are in forum/notifications.py, sent by forum/tasks.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify

from forum import rendering
from forum.models import (
    Category,
    ForumProfile,
    Post,
    ReadState,
    Report,
    Subscription,
    Topic,
)
from outbox.services import queue_task

if TYPE_CHECKING:
    from accounts.models import User

UNKNOWN = object()


# Profiles ----------------------------------------------------------------------------------


def get_profile(user: User) -> ForumProfile:
    """The member's forum profile, created with a unique handle on first use. Every forum
    page asks; Django keeps the profile on the user object for the rest of the request."""
    try:
        return user.forum_profile  # type: ignore[attr-defined]
    except ForumProfile.DoesNotExist:
        pass
    base = slugify(user.display_name or user.email.split("@")[0])[:34].strip("-") or "member"
    for n in range(1, 1000):
        handle = base if n == 1 else f"{base}-{n}"
        if ForumProfile.objects.filter(handle=handle).exists():
            continue
        try:
            with transaction.atomic():
                profile = ForumProfile.objects.create(user=user, handle=handle)
        except IntegrityError:
            existing = ForumProfile.objects.filter(user=user).first()
            if existing:
                return existing
            continue
        user.forum_profile = profile  # type: ignore[attr-defined]
        return profile
    raise RuntimeError("No free forum handle")  # pragma: no cover


def can_post(user: User) -> bool:
    return not get_profile(user).posting_suspended


# Posting -----------------------------------------------------------------------------------


def _render(post: Post) -> None:
    handles = rendering.find_mentions(post.body)
    known = (
        list(ForumProfile.objects.filter(handle__in=handles).values_list("handle", flat=True))
        if handles
        else []
    )
    post.html = rendering.render_body(post.body, post.format, handles=known)


def index_post_for_search(post: Post) -> None:
    if connection.vendor != "postgresql":
        return
    body = SearchVector("body", weight="B", config="english")
    title = models.Value(post.topic.title, output_field=models.TextField())
    vector = SearchVector(title, weight="A", config="english") + body if post.is_opening else body
    Post.objects.filter(pk=post.pk).update(search_vector=vector)


def refresh_topic_stats(topic: Topic) -> None:
    """Recompute the counters lists and digests rely on, over the posts members see."""
    visible = topic.posts.filter(is_hidden=False)
    stats = visible.aggregate(n=Count("id"), last=Max("id"), first=models.Min("id"))
    last = visible.filter(id=stats["last"]).values("created_at", "author_id").first()
    topic.post_count = stats["n"]
    topic.first_post_id = topic.posts.aggregate(first=models.Min("id"))["first"] or 0
    topic.last_post_id = stats["last"] or 0
    if last:
        topic.last_post_at = last["created_at"]
        topic.last_poster_id = last["author_id"]
    topic.save(
        update_fields=["post_count", "first_post_id", "last_post_id", "last_post_at", "last_poster"]
    )


def _add_post(*, topic: Topic, author: User, body: str, fmt: str) -> Post:
    post = Post(topic=topic, author=author, body=body, format=fmt)
    _render(post)
    post.save()
    refresh_topic_stats(topic)
    index_post_for_search(post)
    follow_topic(user=author, topic=topic)
    mark_topic_read(user=author, topic=topic, post_id=post.pk)
    from forum import tasks

    queue_task(tasks.notify_subscribers, post_id=post.pk)
    queue_task(tasks.notify_mentions, post_id=post.pk)
    return post


@transaction.atomic
def create_topic(*, category: Category, author: User, title: str, body: str, fmt: str) -> Topic:
    get_profile(author)
    topic = Topic.objects.create(category=category, author=author, title=title)
    _add_post(topic=topic, author=author, body=body, fmt=fmt)
    return topic


@transaction.atomic
def create_reply(*, topic: Topic, author: User, body: str, fmt: str) -> Post:
    get_profile(author)
    Topic.objects.select_for_update().filter(pk=topic.pk).first()
    return _add_post(topic=topic, author=author, body=body, fmt=fmt)


@transaction.atomic
def edit_post(*, post: Post, body: str, fmt: str, title: str | None = None) -> Post:
    post.body = body
    post.format = fmt
    post.edited_at = timezone.now()
    _render(post)
    post.save(update_fields=["body", "format", "html", "edited_at"])
    if title is not None and post.is_opening and title != post.topic.title:
        post.topic.title = title
        post.topic.save(update_fields=["title"])
    index_post_for_search(post)
    return post


@transaction.atomic
def delete_post(*, post: Post) -> Post:
    """Soft delete by the author: the text is gone, a placeholder keeps the thread readable."""
    post.is_deleted = True
    post.body = ""
    post.html = ""
    post.search_vector = None
    post.edited_at = timezone.now()
    post.save(update_fields=["is_deleted", "body", "html", "search_vector", "edited_at"])
    return post


# Moderation --------------------------------------------------------------------------------


@transaction.atomic
def report_post(*, post: Post, reporter: User, reason: str, details: str) -> Report:
    """File a report (or update the member's open one); a new report tells the moderators."""
    existing = Report.objects.filter(post=post, reporter=reporter, status=Report.Status.OPEN)
    report = existing.first()
    if report:
        report.reason, report.details = reason, details
        report.save(update_fields=["reason", "details"])
        return report
    report = Report.objects.create(post=post, reporter=reporter, reason=reason, details=details)
    from forum import tasks

    queue_task(tasks.notify_moderators, report_id=report.pk)
    return report


@transaction.atomic
def hide_post(*, post: Post, by: User) -> None:
    now = timezone.now()
    Post.objects.filter(pk=post.pk).update(is_hidden=True, hidden_at=now, hidden_by=by)
    Report.objects.filter(post=post, status=Report.Status.OPEN).update(
        status=Report.Status.HIDDEN, resolved_at=now, resolved_by=by
    )
    refresh_topic_stats(Topic.objects.get(pk=post.topic_id))


@transaction.atomic
def restore_post(*, post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(is_hidden=False, hidden_at=None, hidden_by=None)
    refresh_topic_stats(Topic.objects.get(pk=post.topic_id))


@transaction.atomic
def dismiss_reports(*, reports: models.QuerySet[Report], by: User) -> int:
    return reports.filter(status=Report.Status.OPEN).update(
        status=Report.Status.DISMISSED, resolved_at=timezone.now(), resolved_by=by
    )


# Reading -----------------------------------------------------------------------------------


def mark_topic_read(
    *, user: User, topic: Topic, post_id: int, current: ReadState | object | None = UNKNOWN
) -> None:
    """Move the member's read marker forward to `post_id` (never back). `current` is the
    member's read state (or None: there is none) when the caller has loaded it already."""
    now = timezone.now()
    if isinstance(current, ReadState):
        if current.last_read_post_id < post_id:
            ReadState.objects.filter(pk=current.pk, last_read_post_id__lt=post_id).update(
                last_read_post_id=post_id, last_read_at=now
            )
        return
    if current is UNKNOWN:
        moved = ReadState.objects.filter(
            user=user, topic=topic, last_read_post_id__lt=post_id
        ).update(last_read_post_id=post_id, last_read_at=now)
        if moved:
            return
    state, created = ReadState.objects.get_or_create(
        user=user, topic=topic, defaults={"last_read_post_id": post_id, "last_read_at": now}
    )
    if not created and state.last_read_post_id < post_id:
        ReadState.objects.filter(pk=state.pk, last_read_post_id__lt=post_id).update(
            last_read_post_id=post_id, last_read_at=now
        )


def mark_all_read(*, user: User) -> None:
    profile = get_profile(user)
    profile.marked_all_read_at = timezone.now()
    profile.save(update_fields=["marked_all_read_at"])


def read_marker_for(user: User, topic: Topic) -> int:
    """The last post id `user` has read in `topic` (0 when nothing)."""
    state = ReadState.objects.filter(user=user, topic=topic).values("last_read_post_id").first()
    return state["last_read_post_id"] if state else 0


# Subscriptions -----------------------------------------------------------------------------


def follow_topic(*, user: User, topic: Topic) -> None:
    Subscription.objects.get_or_create(
        user=user, topic=topic, defaults={"notified_up_to": topic.last_post_id}
    )


def unfollow_topic(*, user: User, topic: Topic) -> None:
    Subscription.objects.filter(user=user, topic=topic).delete()
