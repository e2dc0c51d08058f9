"""The site's main navigation, built from the URLs that exist and what the user may open (a
context processor: it asks `courses` who is a member, so it lives with the settings)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from courses.models import is_member

# (label, URL name, who sees it): "all", "member" (signed in), "learner" (signed in with access
# to a course, or staff: the library and forum answer 404 to anyone else) or "staff".
NAV_ITEMS = [
    ("Dashboard", "courses:dashboard", "member"),
    ("Friday groups", "zoomgroups:index", "member"),
    ("My questions", "qa:my_questions", "member"),
    ("Q&A Library", "qa:library", "learner"),
    ("Forum", "forum:index", "learner"),
    ("Newsletter", "newsletter:archive", "all"),
]
# The other links every page carries (brand, sign-out form, footer): `layout_urls` in templates.
LAYOUT_URL_NAMES = {
    "home": "home",
    "logout": "account_logout",
    "privacy": "privacy",
    "contact": "contact",
    "coaching": "coaching",
}


def nav_items(request: HttpRequest) -> list[dict[str, Any]]:
    """The menu items this user may open, in order; an item whose URL does not exist is left out."""
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    items = []
    for label, url_name, audience in NAV_ITEMS:
        if audience in ("member", "learner") and not signed_in:
            continue
        if audience == "learner" and not is_member(user):
            continue
        if audience == "staff" and not (signed_in and user is not None and user.is_staff):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"label": label, "url": url, "current": request.path.startswith(url) and url != "/"}
        )
    return items


def site_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "nav_items": nav_items(request),
        "layout_urls": {key: reverse(name) for key, name in LAYOUT_URL_NAMES.items()},
        "contact_email": settings.CONTACT_EMAIL,
        "debug": settings.DEBUG,
    }
