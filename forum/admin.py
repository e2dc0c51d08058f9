"""Forum moderation in the admin: categories and circle members, topics (pin, lock, hide, move
by changing the category), posts (hide, restore), the report queue and member suspensions."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Case, Count, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from forum import services
from forum.models import Category, CircleMembership, ForumProfile, Post, Report, Topic
from lib.admin_lists import QuickRowsMixin
from lib.typed import AuthenticatedHttpRequest


class CircleMembershipInline(admin.TabularInline[CircleMembership, Category]):
    model = CircleMembership
    extra = 1
    autocomplete_fields = ["user"]
    fields = ["user", "added_at"]
    readonly_fields = ["added_at"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin[Category]):
    list_display = ["name", "order", "is_private", "member_count"]
    list_editable = ["order"]
    list_filter = ["is_private"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "description", "order", "is_private"]
    inlines = [CircleMembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(n_members=Count("memberships"))

    @admin.display(description="circle members", ordering="n_members")
    def member_count(self, obj: Category) -> int | str:
        return obj.n_members if obj.is_private else "—"  # type: ignore[attr-defined]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = [
        "title",
        "category",
        "author",
        "post_count",
        "last_post_at",
        "is_pinned",
        "is_locked",
        "is_hidden",
    ]
    list_filter = ["category", "is_pinned", "is_locked", "is_hidden"]
    search_fields = ["title", "author__email", "author__display_name"]
    list_select_related = ["category", "author"]
    date_hierarchy = "created_at"
    # Moving a topic is changing its category.
    fields = ["title", "category", "author", "created_at", "is_pinned", "is_locked", "is_hidden"]
    readonly_fields = ["author", "created_at"]
    actions = ["pin", "unpin", "lock", "unlock", "hide", "unhide"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _flag(self, request: HttpRequest, queryset: QuerySet[Topic], **flags: bool) -> None:
        n = queryset.update(**flags)
        self.message_user(request, f"{n} topic(s) updated.", messages.SUCCESS)

    @admin.action(description="Pin selected topics", permissions=["change"])
    def pin(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_pinned=True)

    @admin.action(description="Unpin selected topics", permissions=["change"])
    def unpin(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_pinned=False)

    @admin.action(description="Lock selected topics (no new replies)", permissions=["change"])
    def lock(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_locked=True)

    @admin.action(description="Unlock selected topics", permissions=["change"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_locked=False)

    @admin.action(description="Hide selected topics from members", permissions=["change"])
    def hide(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_hidden=True)

    @admin.action(description="Show selected topics to members again", permissions=["change"])
    def unhide(self, request: HttpRequest, queryset: QuerySet[Topic]) -> None:
        self._flag(request, queryset, is_hidden=False)


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    list_display = ["id", "topic", "author", "created_at", "is_hidden", "is_deleted", "on_site"]
    list_filter = ["is_hidden", "is_deleted", "topic__category"]
    search_fields = ["body", "topic__title", "author__email", "author__display_name"]
    list_select_related = ["topic", "author"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "topic",
        "author",
        "created_at",
        "edited_at",
        "format",
        "body",
        "is_deleted",
        "is_hidden",
        "hidden_at",
        "hidden_by",
    )
    actions = ["hide", "restore"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # A post deleted here leaves its topic's counters (posts, last post) behind, and members'
    # pages of a topic are counted from them: recount, as every other change to posts does.
    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Post) -> None:
        topic = obj.topic
        super().delete_model(request, obj)
        services.refresh_topic_stats(topic)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        topics = list(Topic.objects.filter(posts__in=queryset).distinct())
        super().delete_queryset(request, queryset)
        for topic in topics:
            services.refresh_topic_stats(topic)

    @admin.display(description="on the site")
    def on_site(self, obj: Post) -> str:
        return format_html('<a href="{}">view</a>', reverse("forum:post", args=[obj.pk]))

    @admin.action(description="Hide selected posts from members", permissions=["change"])
    def hide(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            services.hide_post(post=post, by=request.user)
        self.message_user(request, f"{len(queryset)} post(s) hidden.", messages.SUCCESS)

    @admin.action(description="Restore selected posts", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        for post in queryset:
            services.restore_post(post=post)
        self.message_user(request, f"{len(queryset)} post(s) restored.", messages.SUCCESS)


@admin.register(Report)
class ReportAdmin(QuickRowsMixin, admin.ModelAdmin[Report]):
    """The moderation queue: open reports first."""

    list_per_page = 50  # a page that renders quickly and reads on a phone (bench/run_admin.py)
    list_display = [
        "created_at",
        "status",
        "reason",
        "post_link",
        "topic",
        "post_author",
        "reporter",
        "post_hidden",
    ]
    list_filter = ["status", "reason", "post__topic__category"]
    search_fields = ["details", "post__body", "post__topic__title", "reporter__email"]
    list_select_related = ["post__topic", "post__author", "reporter"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "post_link",
        "post_body",
        "reason",
        "details",
        "reporter",
        "created_at",
        "status",
        "resolved_by",
        "resolved_at",
    )
    actions = ["hide_post", "restore_post", "dismiss"]
    # Open reports first, each part newest first. The admin's ordering, not get_queryset's:
    # the list puts its own (here Report's "-created_at") before a queryset's order_by, which
    # then only broke ties.
    ordering = [
        Case(When(status=Report.Status.OPEN, then=Value(0)), default=Value(1)).asc(),
        "-created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="post")
    def post_link(self, obj: Report) -> str:
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:forum_post_change", args=[obj.post_id]),
            obj.post_id,
        )

    @admin.display(description="text of the post")
    def post_body(self, obj: Report) -> str:
        return obj.post.body or "(deleted by the author)"

    @admin.display(description="topic")
    def topic(self, obj: Report) -> Topic:
        return obj.post.topic

    @admin.display(description="written by")
    def post_author(self, obj: Report) -> str:
        return obj.post.author.email

    @admin.display(description="hidden", boolean=True)
    def post_hidden(self, obj: Report) -> bool:
        return obj.post.is_hidden

    @admin.action(description="Hide the reported posts", permissions=["change"])
    def hide_post(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Report]) -> None:
        posts = {r.post for r in queryset.select_related("post")}
        for post in posts:
            services.hide_post(post=post, by=request.user)
        self.message_user(request, f"{len(posts)} post(s) hidden.", messages.SUCCESS)

    @admin.action(description="Restore the reported posts", permissions=["change"])
    def restore_post(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        posts = {r.post for r in queryset.select_related("post")}
        for post in posts:
            services.restore_post(post=post)
        self.message_user(request, f"{len(posts)} post(s) restored.", messages.SUCCESS)

    @admin.action(description="Dismiss the selected reports", permissions=["change"])
    def dismiss(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Report]) -> None:
        n = services.dismiss_reports(reports=queryset, by=request.user)
        self.message_user(request, f"{n} report(s) dismissed.", messages.SUCCESS)


@admin.register(ForumProfile)
class ForumProfileAdmin(admin.ModelAdmin[ForumProfile]):
    list_display = ["user", "handle", "email_mode", "posting_suspended", "suspension_note"]
    list_filter = ["posting_suspended", "email_mode"]
    search_fields = ["user__email", "user__display_name", "handle"]
    list_select_related = ["user"]
    fields = ["user", "handle", "email_mode", "posting_suspended", "suspension_note"]
    readonly_fields = ["user"]
    actions = ["suspend", "lift_suspension"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Suspend from posting (they can still read)", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[ForumProfile]) -> None:
        n = queryset.update(posting_suspended=True)
        self.message_user(request, f"{n} member(s) suspended from posting.", messages.SUCCESS)

    @admin.action(description="Lift the posting suspension", permissions=["change"])
    def lift_suspension(self, request: HttpRequest, queryset: QuerySet[ForumProfile]) -> None:
        n = queryset.update(posting_suspended=False)
        self.message_user(request, f"{n} member(s) may post again.", messages.SUCCESS)
