"""Two-factor authentication (allauth.mfa: an authenticator app and recovery codes).

Everyone may turn it on from their profile. Instructor, staff and superuser accounts must have
used it in the current session before they reach the admin (accounts.middleware): a session
counts once allauth recorded an "mfa" authentication in it, which happens when they sign in
with their code, confirm it again (mfa_reauthenticate), or have just set up their app.
"""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from accounts.models import User


def is_required_for(user: User | object) -> bool:
    """Accounts that can open the admin (and so read private questions) must use it."""
    return bool(
        getattr(user, "is_authenticated", False)
        and (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
    )


def has_authenticator_app(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def record_new_authenticator(
    sender: type, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: object
) -> None:
    """Setting up the app proves its code: this session has passed two-factor authentication."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True
        )
        # allauth sends this signal on commit, which may come after the response was built.
        request.session.save()


def connect() -> None:
    from allauth.mfa.signals import authenticator_added

    authenticator_added.connect(record_new_authenticator, dispatch_uid="accounts.mfa.added")
