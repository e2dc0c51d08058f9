"""Two-factor authentication (allauth.mfa: an authenticator app and recovery codes), and the
rule that staff powers need it.

Everyone may turn two-factor on from their profile. **The rule**: an account's staff powers —
`is_staff`, superuser status and every permission (reading private questions, circles the
person is not in, hidden posts, enrolments and payments, the audit log) — count only in a
session that passed a second factor. Without it the account sees what a signed-in person with
no enrolment sees, on every path, admin or site: `User.has_perm` and
`courses.models.is_program_staff` both ask `powers_allowed()`, and every rule that reveals
someone else's private content is built on one of those two.

Outside a web request (Celery tasks, management commands, the shell) there is no session, and
an account's powers are what its roles say; what tasks send is content-free.

A session passed a second factor once allauth recorded an "mfa" authentication in it: signing
in with a code, confirming a code again (`mfa_reauthenticate`), or setting up the app. The
first app of an account with staff powers can only be set up after a code emailed to the
account's verified address was confirmed in the same session (`accounts.views.staff_setup_code`),
so a stolen password alone cannot enrol the thief's own authenticator.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

if TYPE_CHECKING:
    from allauth.mfa.models import Authenticator

    from accounts.models import User

# accounts.models imports this module for `powers_allowed`, so allauth's models and flows are
# imported where they are used, once the app registry is ready.

# The request being served by this thread or task, set by SecondFactorMiddleware.
_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "htw_current_request", default=None
)

SETUP_CODE_SESSION_KEY = "htw_mfa_setup_code"
SETUP_VERIFIED_SESSION_KEY = "htw_mfa_setup_verified_at"
SETUP_CODE_MINUTES = 10
SETUP_CODE_ATTEMPTS = 5
# How long a confirmed email code allows setting up the app in this session.
SETUP_VERIFIED_MINUTES = 30


def is_required_for(user: User | object) -> bool:
    """Accounts with staff powers must use two-factor authentication: staff, superusers and
    anyone holding a permission (directly or through a group)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return True
    return bool(user.groups.exists() or user.user_permissions.exists())  # type: ignore[union-attr]


def has_authenticator_app(user: User) -> bool:
    from allauth.mfa.models import Authenticator

    found: bool = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    return found


def session_passed_mfa(request: HttpRequest) -> bool:
    """Whether allauth recorded a two-factor authentication in this request's session
    (read once per request)."""
    passed = getattr(request, "_htw_session_passed_mfa", None)
    if passed is None:
        from allauth.account.authentication import get_authentication_records

        records = get_authentication_records(request, request.user)
        passed = any(record.get("method") == "mfa" for record in records)
        request._htw_session_passed_mfa = passed  # type: ignore[attr-defined]
    return passed


def powers_allowed(user: User | object) -> bool:
    """May `user`'s staff status and permissions be used right now? (The module docstring
    states the rule.) Inside a web request the signed-in account's powers count only if its
    session passed a second factor; any other account checked during the request (whom to
    notify, say) and every account outside a request keep theirs."""
    request = _current_request.get()
    if request is None:
        return True
    session_user = request.user
    if not session_user.is_authenticated or session_user.pk != getattr(user, "pk", None):
        return True
    return session_passed_mfa(request)


def staff_powers_locked(request: HttpRequest) -> bool:
    """True for a signed-in staff or superuser account whose session has not passed a second
    factor: pages tell them how to unlock their staff tools."""
    user = getattr(request, "user", None)  # absent on pages answered before sign-in is read
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_staff or user.is_superuser)
        and not session_passed_mfa(request)
    )


class SecondFactorMiddleware:
    """Makes the request visible to `powers_allowed` for as long as it is being served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def unlock_url(request: HttpRequest) -> str:
    """Where a locked staff account goes to pass a second factor in this session."""
    from django.urls import reverse

    if has_authenticator_app(request.user):  # type: ignore[arg-type]
        return reverse("mfa_reauthenticate")
    return reverse("mfa_activate_totp")


# The first authenticator of an account with staff powers ---------------------------------


def verified_email(user: User) -> str | None:
    """The account's verified primary address, where setup codes go (None: there is none)."""
    from allauth.account.models import EmailAddress

    address: str | None = (
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "id")
        .values_list("email", flat=True)
        .first()
    )
    return address


def _code_digest(request: HttpRequest, code: str) -> str:
    return salted_hmac("accounts.mfa.setup-code", f"{request.user.pk}:{code}").hexdigest()


def start_setup_code(request: HttpRequest) -> str:
    """A new six-digit code for this session (kept only as a keyed hash); returns the code
    for the email."""
    code = f"{secrets.randbelow(10**6):06d}"
    request.session[SETUP_CODE_SESSION_KEY] = {
        "digest": _code_digest(request, code),
        "expires": (timezone.now() + dt.timedelta(minutes=SETUP_CODE_MINUTES)).timestamp(),
        "attempts": 0,
    }
    return code


def check_setup_code(request: HttpRequest, code: str) -> bool:
    """Confirms `code` against this session's; a code works once, before it expires, within
    SETUP_CODE_ATTEMPTS tries."""
    state = request.session.get(SETUP_CODE_SESSION_KEY)
    if not state or state["expires"] < timezone.now().timestamp():
        return False
    state["attempts"] += 1
    if state["attempts"] > SETUP_CODE_ATTEMPTS:
        del request.session[SETUP_CODE_SESSION_KEY]
        return False
    request.session[SETUP_CODE_SESSION_KEY] = state
    if not constant_time_compare(state["digest"], _code_digest(request, code.strip())):
        return False
    del request.session[SETUP_CODE_SESSION_KEY]
    request.session[SETUP_VERIFIED_SESSION_KEY] = timezone.now().timestamp()
    return True


def setup_code_pending(request: HttpRequest) -> bool:
    state = request.session.get(SETUP_CODE_SESSION_KEY)
    return bool(state and state["expires"] >= timezone.now().timestamp())


def may_set_up_first_app(request: HttpRequest) -> bool:
    """An account with staff powers and no app sets one up only after confirming an emailed
    code in this session; everyone else (learners, staff adding another) goes straight on."""
    user = request.user
    if not is_required_for(user) or has_authenticator_app(user):  # type: ignore[arg-type]
        return True
    verified_at = request.session.get(SETUP_VERIFIED_SESSION_KEY)
    if verified_at is None:
        return False
    age = timezone.now().timestamp() - float(verified_at)
    return 0 <= age <= SETUP_VERIFIED_MINUTES * 60


def record_new_authenticator(
    sender: type, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: object
) -> None:
    """Setting up the app proves its code: this session has passed two-factor authentication."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator

    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True
        )
        request.session.pop(SETUP_VERIFIED_SESSION_KEY, None)
        request._htw_session_passed_mfa = True  # type: ignore[attr-defined]
        # allauth sends this signal on commit, which may come after the response was built.
        request.session.save()


def connect() -> None:
    from allauth.mfa.signals import authenticator_added

    authenticator_added.connect(record_new_authenticator, dispatch_uid="accounts.mfa.added")
