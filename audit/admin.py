from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only, and for superusers only: staff cannot see who watched them."""

    list_display = ["at", "actor_label", "action", "object_label", "detail", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_label", "object_id", "detail"]
    date_hierarchy = "at"
    list_per_page = 100
    fields = ["at", "actor_label", "action", "object_label", "detail", "ip"]
    readonly_fields = ["at", "actor_label", "action", "object_label", "detail", "ip"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        # has_perm is true for superusers only once their session passed a second factor.
        return request.user.is_superuser and request.user.has_perm("audit.view_auditevent")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
