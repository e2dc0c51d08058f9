"""A small fake of Zoom's API on loopback, for tests of zoomgroups/zoom.py (issue 26).

It speaks just enough for the Friday groups, as Zoom does:
- Server-to-Server OAuth: POST /oauth/token?grant_type=account_credentials&account_id=… with
  HTTP Basic client id and secret gives a bearer token that expires after `token_lifetime`
  seconds; the API answers 401 (code 124) to an expired or unknown token.
- Meetings: create (POST /v2/users/{user}/meetings), read, update (PATCH, 204) and delete
  (204); an unknown meeting is 404 (code 3001).
- Registrants: add (POST …/registrants: the registrant id and a personal join link; the same
  email twice gets the same registration, as in Zoom) and cancel (PUT …/registrants/status).
- Listing the host's meetings (GET /v2/users/{user}/meetings), two a page, with
  `next_page_token`.
- Trouble on demand: `fail(429, 503, …)` makes the next API calls answer those statuses
  (429s with Retry-After), as a rate limit or an outage would; `lose_answers(n)` carries out
  the next n calls and answers each with a 504, as a gateway that timed out would.

Webhook events are built (`recording_completed`, `participant`, …) and signed as Zoom signs
them: "v0=" + HMAC-SHA256 of "v0:{timestamp}:{body}" with the secret token, in the
x-zm-signature and x-zm-request-timestamp headers. `deliver` posts through Django's test
client; `send` posts over real HTTP to a live server, as Zoom does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET = "acct_fake", "client_fake", "secret_fake"
WEBHOOK_SECRET = "zoom-webhook-secret-token-fake"
_ids = itertools.count(81_000_000_001)
_ts = itertools.count(1)


def sign(body: bytes, timestamp: str, secret: str = WEBHOOK_SECRET) -> str:
    message = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, *, secret: str = WEBHOOK_SECRET, age: float = 0) -> dict:
    timestamp = str(int(time.time() - age))
    return {"x-zm-request-timestamp": timestamp, "x-zm-signature": sign(body, timestamp, secret)}


def event(kind: str, obj: dict[str, Any], event_ts: int | None = None) -> dict[str, Any]:
    """An event as Zoom sends it: no id, an `event_ts` in milliseconds."""
    event_ts = event_ts or int(time.time() * 1000) + next(_ts)
    return {
        "event": kind,
        "event_ts": event_ts,
        "payload": {"account_id": ACCOUNT_ID, "object": obj},
    }


def recording_completed(meeting_id: str, *, share_url: str = "", password: str = "rec-pass"):
    return event(
        "recording.completed",
        {
            "id": int(meeting_id),
            "uuid": f"uuid-{meeting_id}==",
            "topic": "Friday group",
            "share_url": share_url or f"https://zoom.example/rec/share/{meeting_id}",
            "password": password,
            "recording_files": [{"file_type": "MP4", "status": "completed"}],
        },
    )


def participant(
    meeting_id: str,
    *,
    joined: bool = True,
    registrant_id: str = "",
    email: str = "",
    name: str = "A participant",
):
    kind = "meeting.participant_joined" if joined else "meeting.participant_left"
    person: dict[str, Any] = {
        "user_id": str(next(_ids)),
        "user_name": name,
        "participant_uuid": secrets.token_hex(8),
        "email": email,
        ("join_time" if joined else "leave_time"): "2027-03-19T16:01:00Z",
    }
    if registrant_id:
        person["registrant_id"] = registrant_id
    return event(
        kind, {"id": str(meeting_id), "uuid": f"uuid-{meeting_id}==", "participant": person}
    )


def meeting_ended(meeting_id: str):
    return event("meeting.ended", {"id": str(meeting_id), "uuid": f"uuid-{meeting_id}=="})


def deliver(client, data: dict[str, Any] | bytes, *, secret: str = WEBHOOK_SECRET, age: float = 0):
    """Post an event to /zoom/webhook/ through Django's test client, signed."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in signed_headers(body, secret=secret, age=age).items()
    }
    return client.post("/zoom/webhook/", body, content_type="application/json", **headers)


def send(base_url: str, data: dict[str, Any], *, secret: str = WEBHOOK_SECRET, age: float = 0):
    """Post an event over HTTP, as Zoom's webhook sender does."""
    body = json.dumps(data).encode()
    headers = {"Content-Type": "application/json", **signed_headers(body, secret=secret, age=age)}
    return requests.post(f"{base_url}/zoom/webhook/", data=body, headers=headers, timeout=10)


class FakeZoom:
    def __init__(self) -> None:
        self.token_lifetime = 3600
        self.delay = 0.0  # seconds each API answer takes (to widen races)
        self.tokens: dict[str, float] = {}  # token → expiry (time.time())
        self.token_requests = 0
        self.meetings: dict[str, dict[str, Any]] = {}
        self.registrants: dict[str, dict[str, dict[str, Any]]] = {}  # meeting → email → reg
        self.calls: list[tuple[str, str, Any]] = []  # API calls that were answered normally
        self.failures: list[int] = []
        self.lost_answers = 0
        self.reports: dict[str, list[dict[str, Any]]] = {}  # meeting uuid → participants
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeZoom:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, *statuses: int) -> None:
        """The next API calls answer these statuses, one each."""
        with self.lock:
            self.failures.extend(statuses)

    def lose_answers(self, count: int) -> None:
        """The next `count` API calls are carried out, and answered with a 504."""
        with self.lock:
            self.lost_answers += count

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def active_registrants(self, meeting_id: str) -> dict[str, dict[str, Any]]:
        regs = self.registrants.get(str(meeting_id), {})
        return {email: r for email, r in regs.items() if r["status"] == "approved"}

    def calls_of(self, method: str, pattern: str = "") -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] == method and re.search(pattern, c[1])]

    # The fake's API ------------------------------------------------------------------------

    def _token(self, query: dict[str, list[str]], authorization: str) -> tuple[int, dict]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        if query.get("grant_type") != ["account_credentials"] or query.get("account_id") != [
            ACCOUNT_ID
        ]:
            return 400, {"reason": "Invalid grant type", "error": "unsupported_grant_type"}
        token = secrets.token_urlsafe(16)
        self.tokens[token] = time.time() + self.token_lifetime
        self.token_requests += 1
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
            "scope": "meeting:write:admin meeting:read:admin",
        }

    def route(
        self, method: str, path: str, body: Any, query: dict[str, list[str]] | None = None
    ) -> tuple[int, dict | None]:
        if self.lost_answers and not self.failures:
            self.lost_answers -= 1
            self._route(method, path, body, query)
            return 504, {"code": 504, "message": "Gateway Timeout"}
        return self._route(method, path, body, query)

    def _route(
        self, method: str, path: str, body: Any, query: dict[str, list[str]] | None = None
    ) -> tuple[int, dict | None]:
        if self.failures:
            status = self.failures.pop(0)
            return status, {
                "code": status,
                "message": "Too many requests." if status == 429 else "Oops",
            }
        self.calls.append((method, path, body))
        match = re.fullmatch(r"/v2/report/meetings/([^/]+)/participants", path)
        if match and method == "GET":
            # Two a page, to exercise paging; the report exists some minutes after the end.
            people = self.reports.get(unquote(unquote(match.group(1))))
            if people is None:
                return 404, {"code": 3001, "message": "Meeting does not exist."}
            start = int((query or {}).get("next_page_token", ["0"])[0])
            more = start + 2 < len(people)
            return 200, {
                "participants": people[start : start + 2],
                "next_page_token": str(start + 2) if more else "",
            }
        match = re.fullmatch(r"/v2/users/([^/]+)/meetings", path)
        if match and method == "GET":
            mine = [m for m in self.meetings.values() if m["host_id"] == match.group(1)]
            start = int((query or {}).get("next_page_token", ["0"])[0])
            fields = ("id", "uuid", "topic", "agenda", "start_time", "duration", "join_url")
            return 200, {
                "meetings": [{f: m.get(f) for f in fields} for m in mine[start : start + 2]],
                "next_page_token": str(start + 2) if start + 2 < len(mine) else "",
            }
        if match and method == "POST":
            meeting_id = str(next(_ids))
            meeting = {
                **body,
                "id": int(meeting_id),
                "uuid": f"uuid-{meeting_id}==",
                "join_url": f"https://zoom.example/j/{meeting_id}?pwd={secrets.token_hex(6)}",
                "host_id": match.group(1),
            }
            self.meetings[meeting_id] = meeting
            self.registrants[meeting_id] = {}
            return 201, meeting
        match = re.fullmatch(r"/v2/meetings/(\d+)(/registrants(/status)?)?", path)
        if not match or match.group(1) not in self.meetings:
            return 404, {"code": 3001, "message": "Meeting does not exist."}
        meeting_id = match.group(1)
        meeting = self.meetings[meeting_id]
        if match.group(3) and method == "PUT":
            for reg in body["registrants"]:
                found = self.registrants[meeting_id].get(reg["email"].lower())
                if found and found["id"] == reg["id"] and body["action"] == "cancel":
                    found["status"] = "cancelled"
            return 204, None
        if match.group(2) and method == "POST":
            if meeting["settings"].get("approval_type") == 2:
                return 400, {"code": 3000, "message": "Registration has not been enabled"}
            email = body["email"].lower()
            reg = self.registrants[meeting_id].get(email)
            if reg is None or reg["status"] != "approved":
                reg = {
                    "id": secrets.token_urlsafe(12),
                    "email": email,
                    "first_name": body.get("first_name", ""),
                    "last_name": body.get("last_name", ""),
                    "status": "approved",
                    "join_url": f"https://zoom.example/w/{meeting_id}?tk={secrets.token_urlsafe(20)}",
                }
                self.registrants[meeting_id][email] = reg
            answer = {
                "id": int(meeting_id),
                "registrant_id": reg["id"],
                "join_url": reg["join_url"],
            }
            return 201, answer
        if match.group(2):
            return 405, {"code": 405, "message": "Method not allowed"}
        if method == "GET":
            return 200, meeting
        if method == "PATCH":
            meeting.update({k: v for k, v in body.items() if k != "settings"})
            meeting["settings"].update(body.get("settings", {}))
            return 204, None
        if method == "DELETE":
            del self.meetings[meeting_id]
            return 204, None
        return 405, {"code": 405, "message": "Method not allowed"}

    # HTTP ------------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, data: dict | None, headers=()) -> None:
                body = b"" if data is None else json.dumps(data).encode()
                self.send_response(status)
                if data is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                if url.path == "/oauth/token" and method == "POST":
                    with fake.lock:
                        status, data = fake._token(
                            parse_qs(url.query), self.headers.get("Authorization", "")
                        )
                    self._reply(status, data)
                    return
                time.sleep(fake.delay)
                with fake.lock:
                    bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    if fake.tokens.get(bearer, 0.0) <= time.time():
                        self._reply(401, {"code": 124, "message": "Invalid access token."})
                        return
                    body = json.loads(raw) if raw else None
                    status, data = fake.route(method, url.path, body, parse_qs(url.query))
                headers = [("Retry-After", "0")] if status == 429 else []
                self._reply(status, data, headers)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def do_PUT(self) -> None:
                self._serve("PUT")

            def do_DELETE(self) -> None:
                self._serve("DELETE")

        return Handler


@pytest.fixture
def fake_zoom(settings, monkeypatch):
    """Zoom on: the app's credentials and webhook secret set, the client pointed at a fake
    on loopback, and the retry backoff shortened to milliseconds."""
    from zoomgroups import zoom

    fake = FakeZoom().start()
    settings.ZOOM_ACCOUNT_ID = ACCOUNT_ID
    settings.ZOOM_CLIENT_ID = CLIENT_ID
    settings.ZOOM_CLIENT_SECRET = CLIENT_SECRET
    settings.ZOOM_WEBHOOK_SECRET_TOKEN = WEBHOOK_SECRET
    settings.ZOOM_API_BASE = f"{fake.url}/v2"
    settings.ZOOM_OAUTH_URL = f"{fake.url}/oauth/token"
    monkeypatch.setattr(zoom, "BACKOFF_BASE", 0.01)
    zoom.token.drop()
    yield fake
    zoom.token.drop()
    fake.stop()
