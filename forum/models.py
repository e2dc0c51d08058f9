"""The Learner Exchange Forum: categories (some are private circles), topics and posts, and
what each member keeps about them (subscriptions, read state, preferences), plus reports.

Access (see DESIGN.md): forum members are `courses.models.is_member` — learners with an
access-granting enrolment, and staff. A private circle is visible to its members and to staff.
Each guarded model has one way in, `visible_to(user)`; views, search, unread counts and emails
all go through it. The rule itself is written once (`category_seen_by`), and topics and posts
add only their own hidden flag on top of it (`topic_seen_by`, `post_seen_by`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrollment, is_member, is_program_staff

if TYPE_CHECKING:
    from accounts.models import User


Rows = TypeVar("Rows", bound=models.QuerySet[Any])


def category_seen_by(member: User, via: str = "") -> Q:
    """The forum's visibility rule, defined once: open categories, and private circles for
    their members. `via` is the path to the category (`"category__"` from a topic), so that
    topics and posts apply it on the joined category rather than as a nested subquery."""
    circles = CircleMembership.objects.filter(user=member).values("category_id")
    return Q(**{f"{via}is_private": False}) | Q(**{f"{via}id__in": circles})


def topic_seen_by(member: User, via: str = "") -> Q:
    """A topic is seen where its category is, unless staff hid it (`via` as above)."""
    return category_seen_by(member, f"{via}category__") & Q(**{f"{via}is_hidden": False})


def post_seen_by(member: User) -> Q:
    """A post is seen where its topic is, unless staff hid it."""
    return topic_seen_by(member, "topic__") & Q(is_hidden=False)


def visible(rows: Rows, user: User | object, seen_by: Callable[[User], Q]) -> Rows:
    """`rows` that `user` may see: none for non-members, all for staff (hidden things and
    every circle included), `seen_by` for a member."""
    if not is_member(user):
        return rows.none()
    if is_program_staff(user):
        return rows.all()
    return rows.filter(seen_by(cast("User", user)))


class CategoryQuerySet(models.QuerySet["Category"]):
    def visible_to(self, user: User | object) -> CategoryQuerySet:
        """Open categories for members; private circles only for their members; all for staff."""
        return visible(self, user, category_seen_by)

    def with_stats(
        self, user: User | object, marked_all_read_at: dt.datetime | None = None
    ) -> CategoryQuerySet:
        """Annotate topic_count, last_post_at and unread_count over the topics `user` sees.
        One query, whatever the number of topics and posts."""
        topics = Topic.objects.visible_to(user).filter(category=OuterRef("pk")).order_by()
        unread = topics.with_unread(user, marked_all_read_at).filter(Q(is_unread=True))
        return self.annotate(
            topic_count=Coalesce(
                Subquery(topics.values("category").annotate(n=Count("pk")).values("n")), 0
            ),
            post_total=Coalesce(
                Subquery(
                    topics.values("category").annotate(n=models.Sum("post_count")).values("n")
                ),
                0,
            ),
            last_activity=Subquery(topics.order_by("-last_post_at").values("last_post_at")[:1]),
            unread_count=Coalesce(
                Subquery(unread.values("category").annotate(n=Count("pk")).values("n")), 0
            ),
        )


class Category(models.Model):
    """A place for topics. A private category is a peer-consultation circle."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True, help_text="One or two sentences, plain text.")
    order = models.PositiveSmallIntegerField(default=0)
    is_private = models.BooleanField(
        "private circle",
        default=False,
        help_text="Only the circle's members (and staff) see it and its topics.",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CircleMembership",
        related_name="forum_circles",
        blank=True,
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.name} (private circle)" if self.is_private else self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:category", kwargs={"slug": self.slug})

    def reader_profiles(self, *, staff_only: bool = False) -> models.QuerySet[ForumProfile]:
        """The forum profiles of the active accounts that may read this category: staff, and
        learners with an access-granting enrolment (in a private circle: its members only) —
        `visible_to` seen from the other side, for @mention suggestions. `staff_only` for a
        topic hidden by staff."""
        readers = Q(user__is_staff=True)
        if not staff_only:
            learners = Q(user__enrollments__status__in=Enrollment.ACCESS_STATUSES)
            if self.is_private:
                learners &= Q(user__forum_memberships__category=self)
            readers |= learners
        return ForumProfile.objects.filter(readers, user__is_active=True).distinct()


class CircleMembership(models.Model):
    """A member of a private circle. Staff manage these in the admin."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "user"], name="forum_circle_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.category.name}"


class TopicQuerySet(models.QuerySet["Topic"]):
    def visible_to(self, user: User | object) -> TopicQuerySet:
        """Topics in categories `user` may see; topics hidden by staff only for staff."""
        return visible(self, user, topic_seen_by)

    def with_unread(
        self, user: User | object, marked_all_read_at: dt.datetime | None = None
    ) -> TopicQuerySet:
        """Annotate read_up_to (the member's last read post id, 0 if never opened) and
        is_unread (a post newer than that, and newer than "mark all read")."""
        read = ReadState.objects.filter(user=cast("User", user), topic=OuterRef("pk")).values(
            "last_read_post_id"
        )[:1]
        condition = Q(last_post_id__gt=F("read_up_to"))
        if marked_all_read_at is not None:
            condition &= Q(last_post_at__gt=marked_all_read_at)
        return self.annotate(
            read_up_to=Coalesce(Subquery(read), Value(0), output_field=models.BigIntegerField())
        ).annotate(is_unread=ExpressionWrapper(condition, output_field=BooleanField()))


class Topic(models.Model):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="topics")
    title = models.CharField(max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_topics"
    )
    created_at = models.DateTimeField(default=timezone.now)
    is_pinned = models.BooleanField("pinned", default=False)
    is_locked = models.BooleanField(
        "locked", default=False, help_text="A locked topic takes no new replies."
    )
    is_hidden = models.BooleanField(
        "hidden", default=False, help_text="Hidden topics disappear for members; staff see them."
    )
    # Kept up to date by forum.services.refresh_topic_stats, over the posts members can see,
    # so that lists, unread marks and digests need no aggregate over posts.
    first_post_id = models.BigIntegerField(default=0, editable=False)
    post_count = models.PositiveIntegerField(default=0, editable=False)
    last_post_id = models.BigIntegerField(default=0, editable=False)
    last_post_at = models.DateTimeField(default=timezone.now, editable=False)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["-is_pinned", "-last_post_at", "-id"]
        indexes = [
            models.Index(
                fields=["category", "-is_pinned", "-last_post_at"], name="forum_topic_list"
            ),
            models.Index(fields=["last_post_at"], name="forum_topic_last_post_at"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum:topic", kwargs={"pk": self.pk})

    @property
    def reply_count(self) -> int:
        return max(self.post_count - 1, 0)

    @property
    def in_private_circle(self) -> bool:
        return self.category.is_private


class PostQuerySet(models.QuerySet["Post"]):
    def visible_to(self, user: User | object) -> PostQuerySet:
        """Posts of topics `user` may see; posts hidden by staff only for staff."""
        return visible(self, user, post_seen_by)


class Post(models.Model):
    """A topic's opening post or a reply. `html` is rendered from `body` when saved."""

    class Format(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        PLAIN = "plain", "Plain text"

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="forum_posts"
    )
    body = models.TextField(max_length=20000)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.MARKDOWN)
    html = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_deleted = models.BooleanField("deleted by the author", default=False)
    is_hidden = models.BooleanField(
        "hidden by staff", default=False, help_text="Hidden posts disappear for members."
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Filled on PostgreSQL only (title + body); a GIN index is created by migration 0001.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["topic", "id"], name="forum_post_topic_id"),
            models.Index(fields=["topic", "is_hidden", "id"], name="forum_post_topic_visible"),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} in “{self.topic.title}”"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", kwargs={"pk": self.pk})

    @property
    def is_opening(self) -> bool:
        return self.pk == self.topic.first_post_id


class Subscription(models.Model):
    """A member follows a topic. `notified_up_to` is the last post id an email covered."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_subscriptions"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    created_at = models.DateTimeField(default=timezone.now)
    notified_up_to = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="forum_subscription_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.topic}"


class ReadState(models.Model):
    """How far a member has read a topic."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_read_states"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="read_states")
    last_read_post_id = models.BigIntegerField(default=0)
    last_read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="forum_read_state_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.topic} up to {self.last_read_post_id}"


class ForumProfile(models.Model):
    """A member's forum handle (for @mentions), email choice, read marker and suspension."""

    class EmailMode(models.TextChoices):
        IMMEDIATE = "immediate", "Right away, one email per reply"
        DAILY = "daily", "Once a day, a digest"
        OFF = "off", "Never"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_profile"
    )
    handle = models.SlugField(
        max_length=40, unique=True, help_text="Others mention this member as @handle."
    )
    email_mode = models.CharField(
        "email me about new replies",
        max_length=10,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
    )
    marked_all_read_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    posting_suspended = models.BooleanField(
        default=False, help_text="A suspended member can read the forum but not post."
    )
    suspension_note = models.CharField(
        max_length=300, blank=True, help_text="For staff: why, and until when."
    )

    class Meta:
        verbose_name = "member forum settings"
        verbose_name_plural = "member forum settings"

    def __str__(self) -> str:
        return f"@{self.handle}"


class Report(models.Model):
    """A member's report of a post, for staff to act on in the admin."""

    class Reason(models.TextChoices):
        IDENTIFYING = "identifying", "It may identify a client"
        DISRESPECTFUL = "disrespectful", "It is disrespectful or harassing"
        OFF_TOPIC = "off_topic", "It is spam or off topic"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        HIDDEN = "hidden", "Post hidden"
        DISMISSED = "dismissed", "Dismissed"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_reports"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="forum_report_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"],
                condition=Q(status="open"),
                name="forum_report_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"Report on post {self.post_id}: {self.get_reason_display()}"
