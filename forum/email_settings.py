"""The forum's part of the email settings page (accounts.notifications): how a member hears
about replies in topics they follow. Mentions have their own switch in accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from accounts.notifications import Switch
from courses.models import is_member
from forum import services
from forum.models import ForumProfile

if TYPE_CHECKING:
    from accounts.models import User


def switches(user: User) -> list[Switch]:
    if not is_member(user):
        return []
    current = (
        ForumProfile.objects.filter(user=user).values_list("email_mode", flat=True).first()
        or ForumProfile.EmailMode.IMMEDIATE
    )
    field = forms.ChoiceField(
        label="Replies in topics you follow, and the digest",
        choices=ForumProfile.EmailMode.choices,
        widget=forms.RadioSelect,
        initial=current,
        help_text="You follow a topic when you start it or reply to it. "
        "“Never” also stops mention emails.",
    )
    return [Switch("Forum", "forum_email_mode", field)]


def save(user: User, values: dict[str, Any]) -> None:
    mode = values.get("forum_email_mode")
    if mode:
        profile = services.get_profile(user)
        ForumProfile.objects.filter(pk=profile.pk).update(email_mode=mode)
