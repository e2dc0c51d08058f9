"""Every email a person can get, on one settings page, and the one-click "turn this email
off" links the optional ones carry.

accounts keeps the switches of its own model (`EmailSettings`). An app whose emails have a
switch of their own (the forum's reply mode, the newsletter) contributes it through an
`email_settings.py` module, found through its AppConfig like `privacy.py`:

- `switches(user) -> list[Switch]`: its fields on the page, with the current value as
  `initial`, each in one of SECTIONS;
- `save(user, values)`: store them (`values` holds the cleaned values of its own fields).

Senders of an optional email add `opt_out(user_id=…, kind=…)`'s context and headers to the
message: the footer's one-click link and the RFC 8058 List-Unsubscribe headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from accounts.models import EmailSettings, User
from lib.discovery import app_modules

OFF_SALT = "accounts.email-off"

# The page's sections, in order; each switch names one.
SECTIONS = ["Forum", "Friday groups", "Questions", "Waitlists", "Newsletter"]

# Which section each of EmailSettings' switches belongs to.
OWN_SECTIONS = {
    "forum_mentions": "Forum",
    "group_reminders": "Friday groups",
    "group_recordings": "Friday groups",
    "answer_notices": "Questions",
    "waitlist_news": "Waitlists",
}

HELP = {
    "group_reminders": "For every session of every run you are in. To skip one session only, "
    "say you can't come on the Friday groups page.",
    "answer_notices": "Off: answers still arrive on your questions page; you are not told.",
    "waitlist_news": "Seat offers are always sent while you are on a waitlist: leave the "
    "waitlist to stop them.",
}


@dataclass(frozen=True)
class Switch:
    section: str
    name: str
    field: forms.Field


def parts() -> tuple[ModuleType, ...]:
    """The `email_settings` module of every installed app that has one."""
    return app_modules("email_settings")


def own_switches(user: User) -> list[Switch]:
    row = EmailSettings.objects.filter(user=user).first() or EmailSettings(user=user)
    return [
        Switch(
            OWN_SECTIONS[kind],
            kind,
            forms.BooleanField(
                label=label,
                required=False,
                initial=getattr(row, kind),
                help_text=HELP.get(kind, ""),
            ),
        )
        for kind, label in EmailSettings.KINDS.items()
    ]


def save_own(user: User, values: dict[str, Any]) -> None:
    EmailSettings.objects.update_or_create(
        user=user, defaults={kind: bool(values.get(kind)) for kind in EmailSettings.KINDS}
    )


class EmailSettingsForm(forms.Form):
    """One form for every switch, grouped by section for the page."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # An app's own switch comes first in its section (the forum's replies, then mentions).
        switches: list[Switch] = []
        self.owners: list[tuple[Any, list[str]]] = []
        for part in parts():
            theirs = part.switches(user)
            self.owners.append((part.save, [s.name for s in theirs]))
            switches.extend(theirs)
        own = own_switches(user)
        self.owners.append((save_own, [s.name for s in own]))
        switches.extend(own)
        self.switches = switches
        for switch in switches:
            self.fields[switch.name] = switch.field

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        grouped = [
            (title, [self[s.name] for s in self.switches if s.section == title])
            for title in SECTIONS
        ]
        return [(title, fields) for title, fields in grouped if fields]

    @transaction.atomic
    def save(self) -> None:
        for save, names in self.owners:
            save(self.user, {name: self.cleaned_data.get(name) for name in names})


# One-click "off" links -------------------------------------------------------------------


def off_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"u": user_id, "k": kind}, salt=OFF_SALT)


def read_off_token(token: str) -> tuple[int, str] | None:
    """The account and the kind of email a one-click link turns off; None if it is forged."""
    try:
        data = signing.loads(token, salt=OFF_SALT)
        user_id, kind = int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user_id, kind) if kind in EmailSettings.KINDS else None


def opt_out(*, user_id: int, kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """The context (the footer's one-click link) and the headers (RFC 8058) of an optional
    email `kind` to the account `user_id`."""
    url = settings.SITE_URL + reverse(
        "accounts:email_off", args=[off_token(user_id=user_id, kind=kind)]
    )
    context = {"off_url": url, "off_what": EmailSettings.KINDS[kind]}
    return context, list_unsubscribe_headers(url)


def list_unsubscribe_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def optional_email(
    kind: str, *, user_id: int | None = None, email: str = ""
) -> tuple[dict[str, str], dict[str, str]] | None:
    """For a sender of the optional email `kind` to an account (by id) or to an address that
    may belong to one: None when its owner turned `kind` off, else the `opt_out` context and
    headers (none for an address without an account: it has no settings)."""
    if user_id is None:
        user_id = User.objects.filter(email__iexact=email).values_list("pk", flat=True).first()
        if user_id is None:
            return {}, {}
    if not EmailSettings.wants(kind=kind, user_id=user_id):
        return None
    return opt_out(user_id=user_id, kind=kind)
