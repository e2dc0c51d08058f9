from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode

from accounts import mfa


class UserTimezoneMiddleware:
    """Render times in the signed-in user's own time zone.

    Every page needs the user for that, so the lazy `request.user` is loaded here and
    replaced by the user itself: views and templates read it hundreds of times per page, and
    each read through the lazy wrapper costs two or three Python calls (about 1,300 per
    forum page, issue 9)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            request.user = user = user._wrapped
        if user is not None and user.is_authenticated:
            timezone.activate(user.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AdminRequiresMFAMiddleware:
    """Instructor, staff and superuser accounts reach the admin only in a session that passed
    two-factor authentication: first they set up an authenticator app, later they sign in
    with it (or confirm a code again if this session began without it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        try:
            admin_prefix, admin_logout = reverse("admin:index"), reverse("admin:logout")
        except NoReverseMatch:  # a URLconf without the admin
            return self.get_response(request)
        if (
            request.path.startswith(admin_prefix)
            and request.path != admin_logout
            and mfa.is_required_for(user)
            and not mfa.session_passed_mfa(request)
        ):
            query = urlencode({"next": request.get_full_path()})
            if mfa.has_authenticator_app(request.user):  # type: ignore[arg-type]
                return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
            messages.info(
                request,
                "Staff accounts use two-factor authentication. Set up an authenticator app "
                "to open the admin.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)
