"""The staff admin's site: open only to staff whose session passed a second factor."""

from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import urlencode

from accounts import mfa


class AdminSite(admin.AdminSite):
    site_header = "How Therapy Works — staff"
    site_title = "How Therapy Works — staff"
    index_title = "Program administration"
    # "Needs attention" above the app list: each app contributes its part as a template tag.
    index_template = "admin/attention_index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and mfa.powers_allowed(user))

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Staff sign in through the site's own page (and rate limits); a staff session that
        has not passed a second factor confirms one, or sets up the app, first."""
        if mfa.staff_powers_locked(request):
            next_url = request.GET.get("next") or "/admin/"
            return redirect(f"{mfa.unlock_url(request)}?{urlencode({'next': next_url})}")
        response: HttpResponse = secure_admin_login(super().login)(request, extra_context)
        return response
