from typing import cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from outbox import services
from outbox.models import Message, MessageQuerySet

FIELDS = (
    "kind",
    "name",
    "recipients",
    "status",
    "attempts",
    "created_at",
    "next_attempt_at",
    "retry_until",
    "send_by",
    "done_at",
    "last_error",
)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    """What the site sent, is waiting to send, and failed to send. Read-only but for "Send
    again"; the content (a context, a sign-in link, a code) is never shown."""

    list_display = [
        "created_at",
        "kind",
        "name",
        "recipients",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "name"]
    search_fields = ["name", "to"]
    date_hierarchy = "created_at"
    list_per_page = 100
    fields = FIELDS
    readonly_fields = FIELDS
    actions = ["send_again"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return cast(MessageQuerySet, super().get_queryset(request)).visible_to(request.user)

    @admin.display(description="to")
    def recipients(self, obj: Message) -> str:
        return obj.recipients

    @admin.action(description="Send the selected failed messages again", permissions=["change"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        selected = queryset.count()
        count = services.send_again(messages=queryset)
        note = (
            f"; {selected - count} had not failed and were left as they were"
            if selected > count
            else ""
        )
        self.message_user(
            request, f"{count} message(s) will be sent again{note}.", messages.SUCCESS
        )

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        # Nothing on a message is edited: "Send again" on the list is the one change.
        return obj is None and super().has_change_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
