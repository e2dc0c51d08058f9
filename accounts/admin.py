from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts import services
from accounts.models import User
from audit.models import AuditEvent

PERMISSION_FIELDS = ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]


def describe_changes(form: ModelForm[Any], fields: list[str]) -> str:
    """What changed, in words (`is_staff: False → True; groups: +Staff`); "" for nothing."""
    parts = []
    for name in fields:
        if name not in form.changed_data:
            continue
        before, after = form.initial.get(name), form.cleaned_data.get(name)
        if isinstance(after, bool):
            parts.append(f"{name}: {bool(before)} → {after}")
            continue
        old_pks = {getattr(item, "pk", item) for item in before or []}
        new_items = {item.pk: item for item in after or []}
        model = form.fields[name].queryset.model  # type: ignore[attr-defined]
        removed = model.objects.filter(pk__in=old_pks - new_items.keys())
        changes = sorted(f"+{item}" for pk, item in new_items.items() if pk not in old_pks)
        changes += sorted(f"−{item}" for item in removed)
        if changes:
            parts.append(f"{name}: {', '.join(changes)}")
    return "; ".join(parts)


class UserCreationForm(AdminUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "display_name", "credentials", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "display_name", "credentials"]
    readonly_fields = ["date_joined", "last_login"]
    actions = ["delete_accounts"]

    @admin.action(
        description="Delete accounts: erase personal data, keep payment records",
        permissions=["delete"],
    )
    def delete_accounts(
        self, request: HttpRequest, queryset: QuerySet[User]
    ) -> TemplateResponse | None:
        """What a learner's own "Delete my account" does, for one who asked by email. The
        admin's plain delete refuses members with forum posts (they protect the row)."""
        targets = [u for u in queryset if u.is_active and services.may_delete_account(u)]
        if request.POST.get("confirmed") and targets:
            keep = request.POST.get("forum_posts") != "erase"
            for user in targets:
                services.delete_account(user=user, keep_forum_posts=keep)
            self.message_user(
                request,
                f"Deleted {len(targets)} account(s); payment records are kept "
                f"for {services.PAYMENT_RECORD_YEARS} years.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Delete accounts",
            "targets": targets,
            "skipped": queryset.count() - len(targets),
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "payment_record_years": services.PAYMENT_RECORD_YEARS,
        }
        return TemplateResponse(request, "admin/accounts/user/delete_accounts.html", context)

    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "credentials", "time_zone", "bio"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        record_permission_change(
            request, form, describe_changes(form, PERMISSION_FIELDS) if change else ""
        )

    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "usable_password", "password1", "password2"]},
        )
    ]


def record_permission_change(request: HttpRequest, form: ModelForm[Any], detail: str) -> None:
    """Audit a saved user's or group's permissions, when anything about them changed."""
    if detail:
        AuditEvent.record(
            action=AuditEvent.Action.PERMISSIONS_CHANGED,
            obj=form.instance,
            detail=detail,
            request=request,
        )


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        record_permission_change(
            request, form, describe_changes(form, ["permissions"]) if change else "new group"
        )
