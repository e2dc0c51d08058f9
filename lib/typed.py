"""Types for views. `AuthenticatedHttpRequest` is the request a `login_required` view receives:
its `user` is a signed-in `accounts.User`, never `AnonymousUser` (as django-stubs recommends)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
