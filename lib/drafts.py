"""Unsent drafts of long texts, kept by the browser until the server has them (issue 21).

Forms where people write at length (a question and its follow-ups, forum topics, replies and
edits, the instructor's answer in the admin) carry `data-draft-key`. static/js/drafts.js keeps
what is typed there in the browser's own localStorage and offers it again when the form comes
back without it after a failed submit (the site down or busy, a lost connection): nothing is
sent anywhere for this. A view that has saved such a form says so with `confirm_saved` on its
response, and the browser forgets that draft; signing out forgets them all.

A key names the account and the place (`u12:forum-reply:34`), never any text: another account
signed in on the same browser is never offered someone else's draft.
"""

from typing import Any

from django.conf import settings
from django.http import HttpResponse

SAVED_COOKIE = "htw_draft_saved"


def key(user: Any, *place: object) -> str:
    return ":".join([f"u{user.pk}", *(str(part) for part in place)])


def confirm_saved(response: HttpResponse) -> HttpResponse:
    """Mark `response` (the redirect after a successful submit) as confirming that the form
    this browser tab just sent is saved: static/js/drafts.js then forgets its draft. A flag
    and not the key, which the sending tab remembers."""
    response.set_cookie(
        SAVED_COOKIE,
        "1",
        max_age=60,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=False,  # read by drafts.js
        samesite="Lax",
    )
    return response
