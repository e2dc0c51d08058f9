"""TIFT's part of the email settings page (accounts.notifications): the newsletter switch,
the same subscription as the profile's (by the account's address)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from accounts.notifications import Switch
from newsletter import subscriptions
from newsletter.models import Subscriber

if TYPE_CHECKING:
    from accounts.models import User

ON = {Subscriber.Status.CONFIRMED, Subscriber.Status.PENDING}


def _reader(user: User) -> Subscriber | None:
    return Subscriber.objects.filter(email=user.email.lower()).first()


def switches(user: User) -> list[Switch]:
    reader = _reader(user)
    pending = reader is not None and reader.status == Subscriber.Status.PENDING
    field = forms.BooleanField(
        label="TIFT, the newsletter, every two weeks",
        required=False,
        initial=reader is not None and reader.status in ON,
        help_text="Waiting for you to confirm from the email we sent."
        if pending
        else "Also on your profile. Every issue has its own unsubscribe link.",
    )
    return [Switch("Newsletter", "newsletter", field)]


def save(user: User, values: dict[str, Any]) -> None:
    reader = _reader(user)
    subscribed = reader is not None and reader.status in ON
    if values.get("newsletter") and not subscribed:
        subscriptions.subscribe_account(user=user)
    elif not values.get("newsletter") and reader is not None and subscribed:
        subscriptions.unsubscribe(subscriber=reader)
