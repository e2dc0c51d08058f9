"""A learner's own data: download all of it as JSON, or delete the account.

Deleting an account erases what is personal and keeps only what must be kept:
- erased: the profile, email addresses, private questions (with their answers and follow-ups),
  lesson progress, Friday-group RSVPs and attendance, forum subscriptions, read state, forum
  handle and circle memberships, reports the learner filed, waitlist and financial-aid
  requests, the TIFT newsletter subscription and offers' names and addresses;
- kept: payment records (enrolments and checkout holds: what was paid, when, for which run,
  the Stripe reference) for PAYMENT_RECORD_YEARS years, as tax law requires, attached to an
  anonymous, deactivated account that can never sign in again; a monthly task
  (`purge_expired_payment_records`) then deletes them;
- forum posts: kept under the name "Former member", or erased, as the learner chooses.

Each app says what it keeps about a person in its own `privacy.py` (see accounts/privacy.py):
its part of the export, of the erasure, and of `DELETION_PLAN`, which says for every model that
points to a user which of these happens; a test fails when a new model points to a user
without an entry. This module assembles them and does what is the account's own.
"""

from __future__ import annotations

import datetime as dt
from types import ModuleType
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import CLOSED_ACCOUNT_DOMAIN, FORMER_MEMBER, User, new_feed_token
from lib.discovery import app_modules
from outbox.services import forget_address, queue_email

# How long payment records are kept after an account is deleted (US federal and most state
# tax rules ask for up to seven years; EU member states for six to ten). Shown on the pages.
PAYMENT_RECORD_YEARS = 7
# The longest window any rate-limit counter (keyed by IP address or account) is kept for; the
# privacy page states it, and a test checks every `ratelimit.allow(... period=...)` against it.
LONGEST_RATE_LIMIT_SECONDS = 3600


def privacy_parts() -> tuple[ModuleType, ...]:
    """The `privacy` module of every installed app that has one, in INSTALLED_APPS order."""
    return app_modules("privacy")


# "app_label.Model.field" (a foreign key to the user) → what deleting the account does to it.
DELETION_PLAN: dict[str, str] = {
    key: rule for part in privacy_parts() for key, rule in part.DELETION_PLAN.items()
}


def privacy_page_context() -> dict[str, Any]:
    """What the apps' `page_context()` give the privacy and delete-account pages to state."""
    context: dict[str, Any] = {}
    for part in privacy_parts():
        if hasattr(part, "page_context"):
            context.update(part.page_context())
    return context


class AccountDeletionError(Exception):
    pass


def export_user_data(*, user: User) -> dict[str, Any]:
    """Everything the site keeps about `user`, as JSON-ready data. No secrets (feed tokens,
    passwords, authenticator keys) and nothing about other people beyond what the learner
    saw on their own pages (the instructor's sent answers)."""
    data: dict[str, Any] = {
        "format": "How Therapy Works personal data export, version 1",
        "exported_at": timezone.now().isoformat(),
    }
    for part in privacy_parts():
        if hasattr(part, "export"):
            data.update(part.export(user))
    return data


def may_delete_account(user: User) -> bool:
    """Staff and instructor accounts are closed by a superuser in the admin, not from here:
    their answers, moderation and admin history belong to the program."""
    return not (user.is_staff or user.is_superuser)


@transaction.atomic
def delete_account(*, user: User, keep_forum_posts: bool) -> None:
    """Erase `user`'s personal data, keep payment records, and close the account for good.

    The user row stays, anonymised and inactive, because payment records and kept forum posts
    point to it; nothing in it identifies the person any more.
    """
    if not may_delete_account(user):
        raise AccountDeletionError("Staff accounts are closed by an administrator.")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise AccountDeletionError("This account is already closed.")
    email = user.email.lower()
    name = user.get_short_name()

    for part in privacy_parts():
        if hasattr(part, "erase"):
            part.erase(user, keep_posts=keep_forum_posts)

    user.groups.clear()
    user.user_permissions.clear()
    user.email = user.closed_address
    user.display_name = FORMER_MEMBER
    user.credentials = ""
    user.bio = ""
    user.time_zone = "UTC"
    user.is_active = False
    user.last_login = None
    user.feed_token = new_feed_token()
    user.set_unusable_password()  # also ends every other session (the auth hash changes)
    user.save()

    # Last: including what the apps' erasure queued for them (an offer withdrawn, a seat
    # released).
    forget_address(email=email)
    queue_email(
        "account_deleted",
        [email],
        {
            "name": name,
            "kept_forum_posts": keep_forum_posts,
            "payment_record_years": PAYMENT_RECORD_YEARS,
        },
    )


def purge_expired_payment_records(*, now: dt.datetime | None = None) -> int:
    """Delete the payment records of closed accounts made more than PAYMENT_RECORD_YEARS ago
    (each app's `purge_closed_accounts`). Run monthly by beat; returns how many enrolments
    went. Open accounts keep their history (it is their own, and exported)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=round(365.25 * PAYMENT_RECORD_YEARS))
    closed = User.objects.filter(is_active=False, email__endswith=f"@{CLOSED_ACCOUNT_DOMAIN}")
    purged = 0
    with transaction.atomic():
        for part in privacy_parts():
            if hasattr(part, "purge_closed_accounts"):
                purged += part.purge_closed_accounts(closed, before=cutoff)
    return purged
