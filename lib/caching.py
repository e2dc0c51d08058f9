"""Pages with private text must not be stored by browsers, proxies or shared computers' caches.

Every page rendered for a signed-in person can carry private text (their questions, forum
posts, name, enrolments), so those responses get `Cache-Control: private, no-store` unless the
view chose its own caching. Anonymous pages are public and keep whatever they had; the few
that show something personal to a token holder (newsletter confirm/unsubscribe, the podcast
feed) use `never_cache` themselves.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePagesNoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" in response:
            # Checked first: the error pages of a database outage carry their own, and reading
            # the user would try the database again.
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
