from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import LazyObject, empty


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
