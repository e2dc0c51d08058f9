"""Who may do what in the forum: the members-only guard every page goes through, and who may
post, reply or moderate (with the messages that say why not); plus the page number."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from courses.locks import locked_page
from courses.models import is_member, is_program_staff
from forum import services
from forum.forms import ComposerForm
from forum.models import Topic
from lib import ratelimit

if TYPE_CHECKING:
    from accounts.models import User


POSTS_PER_PAGE = 20
SUSPENDED_MESSAGE = (
    "Your posting in the forum is paused by staff. You can still read everything; "
    "write to us if you think this is a mistake."
)
RATE_LIMIT_MESSAGE = (
    "You are posting very quickly. Please wait a few minutes and send again — "
    "your text is still here."
)
LOCKED_MESSAGE = "This topic is locked: it takes no new replies."


class MemberRequest(HttpRequest):
    """A request that passed `member_required`: its user is a signed-in forum member."""

    user: User


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anyone who is not a forum member gets the page that says why the forum is locked to them
    and how to get in — the same page at every forum address, so it tells nothing about what
    exists there; private pages are never cached."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_member(request.user):
            return locked_page(request, area="forum")
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def page_number(request: HttpRequest) -> int:
    if request.GET.get("page") == "last":
        return 10**9  # get_page() settles on the last page
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


def may_post(request: MemberRequest, form: ComposerForm) -> bool:
    """Suspension and the rate limit, reported on the form so that nothing typed is lost."""
    if not services.can_post(request.user):
        form.add_error(None, SUSPENDED_MESSAGE)
        return False
    allowed = ratelimit.allow(
        f"forum-post:{request.user.pk}",
        limit=settings.FORUM_POST_RATE_LIMIT,
        period=settings.FORUM_POST_RATE_PERIOD,
    )
    if not allowed:
        form.add_error(None, RATE_LIMIT_MESSAGE)
    return allowed


def suspended(request: MemberRequest) -> bool:
    return not services.can_post(request.user)


def may_moderate(request: MemberRequest) -> bool:
    return is_program_staff(request.user) and request.user.has_perm("forum.change_post")


def can_reply(request: MemberRequest, t: Topic) -> bool:
    return (not t.is_locked or is_program_staff(request.user)) and services.can_post(request.user)
