"""A small client of Zoom's REST API for the Friday groups (issue 26), and webhook signatures.

Zoom is on when the three values of a Server-to-Server OAuth app are set (ZOOM_ACCOUNT_ID,
ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET); otherwise `enabled()` is False and nothing here is called.

- **Token.** The app asks ZOOM_OAUTH_URL for an access token (grant type
  `account_credentials`) and keeps it in this process until a minute before it expires. A 401
  from the API (a token revoked or expired early) drops it, and the call is made once more with
  a new one. The token is kept in memory only: never in the cache, a log or the database.
- **Retries.** A 429 (rate limit), a 5xx or a connection error is tried again, up to
  `ATTEMPTS` times, after Zoom's Retry-After or an exponential backoff (both capped at
  `MAX_WAIT`). What still fails raises `ZoomError`: the callers (zoomgroups.services) record it
  on the session for staff, who retry from the admin.
- **One meeting per session.** Creating a meeting cannot simply be tried again: Zoom may have
  created it and the answer been lost (a timeout, a 5xx, a worker killed before it saved the
  id). Each meeting carries its session's reference in its agenda, and `create_meeting` looks
  for a meeting with that reference before every attempt, so a retry finds the meeting an
  earlier attempt made instead of making a second one.
- **Webhooks.** `signature()` is Zoom's: "v0=" + HMAC-SHA256 of "v0:{timestamp}:{raw body}"
  with the webhook secret token.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
import time
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

ATTEMPTS = 4
BACKOFF_BASE = 1.0  # seconds: 1, 2, 4 between the four attempts
MAX_WAIT = 30.0
TIMEOUT = (5, 20)  # connect, read
RETRIED = {429, 500, 502, 503, 504}
# Zoom's passcodes: at most 10 characters.
PASSCODE_LENGTH = 10


class ZoomError(Exception):
    """A call that failed for good (after retries); `status` 0 means no answer at all."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Zoom answered {status}: {message}" if status else message)
        self.status = status


class NotFound(ZoomError):
    pass


def enabled() -> bool:
    return bool(
        settings.ZOOM_ACCOUNT_ID and settings.ZOOM_CLIENT_ID and settings.ZOOM_CLIENT_SECRET
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def encrypt_token(secret: str, plain_token: str) -> str:
    """The answer to Zoom's endpoint.url_validation challenge."""
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


class _Token:
    """The process's access token, shared by its threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value = ""
        self.expires = 0.0
        self.key: tuple[str, ...] = ()

    def get(self, *, renew: bool = False) -> str:
        key = (
            settings.ZOOM_OAUTH_URL,
            settings.ZOOM_ACCOUNT_ID,
            settings.ZOOM_CLIENT_ID,
            settings.ZOOM_CLIENT_SECRET,
        )
        with self.lock:
            if renew or key != self.key or time.monotonic() >= self.expires:
                self.value, lifetime = _fetch_token()
                self.expires = time.monotonic() + max(lifetime - 60, lifetime / 2)
                self.key = key
            return self.value

    def drop(self) -> None:
        with self.lock:
            self.value, self.expires = "", 0.0


token = _Token()


def _wait(attempt: int, response: requests.Response | None) -> None:
    wait = BACKOFF_BASE * 2**attempt
    if response is not None:
        with contextlib.suppress(ValueError):  # Zoom also sends a date for a daily limit
            wait = float(response.headers.get("Retry-After", wait))
    time.sleep(min(max(wait, 0.0), MAX_WAIT))


def _send(method: str, url: str, *, retry: bool = True, **kwargs: Any) -> requests.Response:
    """One request with retries on 429, 5xx and connection errors (none with `retry` off)."""
    attempts = ATTEMPTS if retry else 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        try:
            response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            if last:
                raise ZoomError(0, f"Zoom could not be reached ({type(exc).__name__})") from exc
            _wait(attempt, None)
            continue
        if response.status_code in RETRIED and not last:
            _wait(attempt, response)
            continue
        return response
    raise AssertionError("unreachable")  # pragma: no cover


def _fetch_token() -> tuple[str, float]:
    response = _send(
        "POST",
        settings.ZOOM_OAUTH_URL,
        params={"grant_type": "account_credentials", "account_id": settings.ZOOM_ACCOUNT_ID},
        auth=(settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET),
    )
    if response.status_code != 200:
        raise ZoomError(response.status_code, "no access token (check the app's credentials)")
    data = response.json()
    return data["access_token"], float(data.get("expires_in", 3600))


def call(
    method: str,
    path: str,
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    *,
    retry: bool = True,
) -> dict[str, Any]:
    """Call the API at `path` (below ZOOM_API_BASE); the JSON answer, or {} for a 204."""
    url = settings.ZOOM_API_BASE.rstrip("/") + path
    for renewed in (False, True):
        headers = {"Authorization": f"Bearer {token.get(renew=renewed)}"}
        response = _send(method, url, retry=retry, json=json, params=params, headers=headers)
        if response.status_code != 401:
            break
    if response.status_code == 404:
        raise NotFound(404, _message(response))
    if response.status_code >= 400:
        raise ZoomError(response.status_code, _message(response))
    if response.status_code == 204 or not response.content:
        return {}
    answer: dict[str, Any] = response.json()
    return answer


def _message(response: requests.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:150] or response.reason
    except ValueError:
        return response.reason or "error"


# The calls the Friday groups make -------------------------------------------------------------


def meeting_fields(*, topic: str, start: str, duration: int, passcode: str) -> dict[str, Any]:
    """A scheduled meeting with registration required (approved automatically: only our own
    learners get the link), a waiting room, a passcode and cloud recording. Zoom's own emails
    to registrants are off: the site tells learners itself, without the link."""
    return {
        "topic": topic[:200],
        "type": 2,
        "start_time": start,
        "duration": duration,
        "timezone": settings.PROGRAM_TIME_ZONE,
        "password": passcode,
        "settings": {
            "approval_type": 0,
            "registration_type": 1,
            "waiting_room": True,
            "join_before_host": False,
            "auto_recording": "cloud",
            "registrants_email_notification": False,
            "registrants_confirmation_email": False,
        },
    }


def create_meeting(*, reference: str, **fields: Any) -> dict[str, Any]:
    """Create the meeting of the session `reference` names, or find the one an earlier attempt
    created (see "One meeting per session" above); Zoom's answer for it either way."""
    body = {**meeting_fields(**fields), "agenda": agenda(reference)}
    for attempt in range(ATTEMPTS):
        if found := find_meeting(reference):
            # Made by an attempt that had other values (a new passcode, a moved time).
            meeting_id = str(found["id"])
            update_meeting(meeting_id, **fields)
            return call("GET", f"/meetings/{meeting_id}")
        try:
            return call("POST", f"/users/{settings.ZOOM_HOST_USER}/meetings", body, retry=False)
        except ZoomError as exc:
            if attempt == ATTEMPTS - 1 or not (exc.status == 0 or exc.status in RETRIED):
                raise
        _wait(attempt, None)
    raise AssertionError("unreachable")  # pragma: no cover


def agenda(reference: str) -> str:
    """The meeting's agenda: shown in Zoom with the meeting, and how `find_meeting` knows it."""
    return f"How Therapy Works Friday group (reference {reference})"


def find_meeting(reference: str) -> dict[str, Any] | None:
    """The host's scheduled meeting whose agenda carries `reference`, if there is one."""
    params: dict[str, Any] = {"type": "scheduled", "page_size": 300}
    while True:
        page = call("GET", f"/users/{settings.ZOOM_HOST_USER}/meetings", params=params)
        meetings: list[dict[str, Any]] = page.get("meetings", [])
        for meeting in meetings:
            if meeting.get("agenda") == agenda(reference):
                return meeting
        if not page.get("next_page_token"):
            return None
        params["next_page_token"] = page["next_page_token"]


def update_meeting(meeting_id: str, **fields: Any) -> None:
    call("PATCH", f"/meetings/{meeting_id}", meeting_fields(**fields))


def delete_meeting(meeting_id: str) -> None:
    """Delete a meeting; one already gone is fine."""
    with contextlib.suppress(NotFound):
        call("DELETE", f"/meetings/{meeting_id}")


def add_registrant(
    meeting_id: str, *, email: str, first_name: str, last_name: str
) -> dict[str, Any]:
    """Register a learner; Zoom answers with their registrant id and personal join link."""
    body = {"email": email, "first_name": first_name[:64] or "Learner", "last_name": last_name[:64]}
    return call("POST", f"/meetings/{meeting_id}/registrants", body)


def cancel_registrants(meeting_id: str, registrants: list[dict[str, str]]) -> None:
    """Cancel registrations ({"id", "email"} each): their personal links stop working."""
    for start in range(0, len(registrants), 30):  # Zoom takes 30 at a time
        body = {"action": "cancel", "registrants": registrants[start : start + 30]}
        call("PUT", f"/meetings/{meeting_id}/registrants/status", body)


def meeting_participants(meeting_uuid: str) -> list[dict[str, Any]]:
    """Who took part in an ended meeting (the participant report), all pages. A UUID that
    starts with "/" or holds "//" is encoded twice, as Zoom asks."""
    encoded = quote(meeting_uuid, safe="")
    if meeting_uuid.startswith("/") or "//" in meeting_uuid:
        encoded = quote(encoded, safe="")
    people: list[dict[str, Any]] = []
    params = {"page_size": 300}
    while True:
        page = call("GET", f"/report/meetings/{encoded}/participants", params=params)
        people.extend(page.get("participants") or [])
        if not page.get("next_page_token"):
            return people
        params = {"page_size": 300, "next_page_token": page["next_page_token"]}
