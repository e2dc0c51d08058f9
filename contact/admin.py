"""Contact-form messages for staff: newest first, by status and topic, with the sender's
address to answer from. The text is shown here only."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from contact.models import ContactMessage


@admin.register(ContactMessage)
class ContactMessageAdmin(admin.ModelAdmin[ContactMessage]):
    list_display = ["created_at", "topic", "status", "name", "email"]
    list_filter = ["status", "topic", "created_at"]
    search_fields = ["name", "email"]
    date_hierarchy = "created_at"
    list_select_related = False
    fields = ["created_at", "topic", "name", "email", "user", "message", "status", "staff_note"]
    readonly_fields = ["created_at", "topic", "name", "email", "user", "message"]
    actions = ["mark_answered", "mark_closed"]
    list_per_page = 50

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # messages come from the form

    def _set_status(
        self, request: HttpRequest, queryset: QuerySet[ContactMessage], status: str
    ) -> None:
        count = queryset.update(status=status)
        label = ContactMessage.Status(status).label
        self.message_user(request, f"{count} marked “{label}”.", messages.SUCCESS)

    @admin.action(description="Mark the selected messages answered", permissions=["change"])
    def mark_answered(self, request: HttpRequest, queryset: QuerySet[ContactMessage]) -> None:
        self._set_status(request, queryset, ContactMessage.Status.ANSWERED)

    @admin.action(description="Mark the selected messages closed", permissions=["change"])
    def mark_closed(self, request: HttpRequest, queryset: QuerySet[ContactMessage]) -> None:
        self._set_status(request, queryset, ContactMessage.Status.CLOSED)
