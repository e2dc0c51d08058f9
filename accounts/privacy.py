"""What accounts and the sign-in apps keep about a person: their part of the data export and
of account erasure (`accounts.services`).

Every app that keeps personal data has a `privacy.py` like this one, found through its
AppConfig, so a new app adds its own part without touching accounts:

- `DELETION_PLAN`: for each foreign key of the app's models to the user
  ("app_label.Model.field"), what deleting the account does to it ("erased", "kept: why");
- `export(user) -> dict`: the app's sections of the JSON download (optional);
- `erase(user, *, keep_posts)`: delete or anonymise the app's data about `user`, inside
  the deletion's transaction, before the user row itself is anonymised (optional);
  `keep_posts` is the person's choice to keep what they wrote for others (forum posts);
- `purge_closed_accounts(users, *, before) -> int`: delete the records that closed accounts
  (`users`) had to keep for PAYMENT_RECORD_YEARS, made before `before` (optional);
- `page_context() -> dict`: what the privacy and delete-account pages state about the app's
  records, such as how long they are kept (optional).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps

from accounts.models import EmailSettings, User

DELETION_PLAN = {
    "account.EmailAddress.user": "erased",
    "accounts.EmailSettings.user": "erased",
    "mfa.Authenticator.user": "erased",
    "admin.LogEntry.user": "kept: staff actions in the admin (learners have none)",
}


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """A time in the export: ISO 8601, or None."""
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    return {
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "credentials": user.credentials,
            "time_zone": user.time_zone,
            "bio": user.bio,
            "date_joined": iso(user.date_joined),
            "last_login": iso(user.last_login),
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("email")
            ],
        },
        # Which optional emails the person gets (every one of them without a row).
        "email_settings": _email_settings(user),
    }


def _email_settings(user: User) -> dict[str, bool]:
    chosen = EmailSettings.objects.filter(user=user).first()
    return {kind: getattr(chosen, kind) if chosen else True for kind in EmailSettings.KINDS}


def erase(user: User, *, keep_posts: bool) -> None:
    EmailAddress.objects.filter(user=user).delete()
    EmailSettings.objects.filter(user=user).delete()
    if apps.is_installed("allauth.mfa"):
        apps.get_model("mfa", "Authenticator").objects.filter(user=user).delete()
