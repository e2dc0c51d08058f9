"""A small fake of the Stripe API on loopback, for tests of the real `stripe` library.

It speaks just enough of the API for enrolment: create, retrieve, list and expire Checkout
Sessions, create refunds, list events, with idempotency keys honoured as Stripe does (same key
→ same response; the same key with other parameters → an error). Like Stripe it refuses an
`expires_at` outside 30 minutes to 24 hours from creation, closes a session at its
`expires_at`, and keeps an event for everything that happens (`events`, listed at /v1/events),
whether or not a webhook is delivered. A tiny hosted "checkout page" at `session.url` has a Pay
button that completes the session and redirects to its success_url, so browser tests can walk
the whole journey.

Webhook payloads are signed exactly as Stripe signs them: HMAC-SHA256 over
"{timestamp}.{payload}" with the endpoint secret, sent as `Stripe-Signature: t=...,v1=...`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

WEBHOOK_SECRET = "whsec_test_secret_for_fake_stripe"
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_test_{next(_ids):06d}"


def parse_form(body: str) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=x`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node: Any = root
        for part, nxt in zip(parts, [*parts[1:], None], strict=True):
            if nxt is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class FakeStripe:
    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, Any], str | None]] = []
        self.idempotent: dict[tuple[str, str], tuple[int, dict[str, Any], dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.amounts: dict[str, int] = {}  # payment intent → amount paid
        self.refunded: set[str] = set()
        self.failures = 0
        self.refuse_refunds = ""  # an error code, e.g. "charge_disputed": every refund fails
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeStripe:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # The fake's API ------------------------------------------------------------------------

    def _create_session(self, params: dict[str, Any]) -> dict[str, Any]:
        item = params["line_items"][0]
        session_id = new_id("cs")
        now = int(time.time())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "created": now,
            "livemode": False,
            "url": f"{self.url}/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": params.get("mode"),
            "amount_total": int(item["price_data"]["unit_amount"]),
            "currency": item["price_data"]["currency"],
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "expires_at": int(params.get("expires_at", 0)),
            "allow_promotion_codes": params.get("allow_promotion_codes") == "true",
            "payment_intent": None,
        }
        self.sessions[session_id] = session
        return session

    def _refresh(self, session: dict[str, Any]) -> dict[str, Any]:
        """Stripe closes an open session at its expires_at."""
        if session["status"] == "open" and time.time() >= session["expires_at"]:
            session["status"] = "expired"
            self.emit("checkout.session.expired", session)
        return session

    def complete(self, session_id: str, *, paid: bool = True, free: bool = False) -> dict[str, Any]:
        """What happens when the person pays on the hosted page (`free`: with a 100 % off
        promotion code, which Stripe completes without any payment)."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            if free:
                session.update(amount_total=0, payment_status="no_payment_required")
            else:
                session["payment_status"] = "paid" if paid else "unpaid"
                session["payment_intent"] = session["payment_intent"] or new_id("pi")
                self.amounts[session["payment_intent"]] = session["amount_total"]
            self.emit("checkout.session.completed", session)
            return dict(session)

    def emit(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Record an event as Stripe does, delivered or not; returns it."""
        with self.lock:
            event = self.event(kind, json.loads(json.dumps(obj)))
            self.events.append(event)
            return event

    def refund_in_dashboard(self, payment_intent: str) -> dict[str, Any]:
        """Staff refund a payment in full in Stripe's dashboard: the charge.refunded event."""
        amount = self.amounts.get(payment_intent, 1000)
        self.refunded.add(payment_intent)
        return self.emit("charge.refunded", self.charge(payment_intent, amount, amount))

    def dispute(self, payment_intent: str, status: str) -> dict[str, Any]:
        """The payer's bank opens (needs_response) or closes (won, lost) a dispute."""
        dispute = {
            "id": new_id("dp"),
            "object": "dispute",
            "payment_intent": payment_intent,
            "status": status,
        }
        closed = status in {"won", "lost"}
        return self.emit(f"charge.dispute.{'closed' if closed else 'created'}", dispute)

    def _list(self, items: list[dict[str, Any]], params: dict[str, Any], path: str) -> dict:
        """One page of a list, newest first, as Stripe pages them (limit, starting_after)."""
        since = int((params.get("created") or {}).get("gte") or 0)
        items = [item for item in items if item["created"] >= since]
        items = [
            item for _, item in sorted(enumerate(items), key=lambda p: (p[1]["created"], p[0]))
        ]
        items.reverse()
        if params.get("starting_after"):
            ids = [item["id"] for item in items]
            items = items[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit") or 10)
        return {
            "object": "list",
            "url": path,
            "has_more": len(items) > limit,
            "data": items[:limit],
        }

    def route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        if self.failures:
            self.failures -= 1  # an outage: the library retries, so it may fail several times
            return 500, {"error": {"type": "api_error", "message": "fake outage"}}
        if method == "POST" and path == "/v1/checkout/sessions":
            expires_at = int(params.get("expires_at", 0))
            if not time.time() + 1800 <= expires_at <= time.time() + 86400:
                message = "expires_at must be 30 minutes to 24 hours after creation"
                return 400, {"error": {"type": "invalid_request_error", "message": message}}
            return 200, self._create_session(params)
        if method == "GET" and path == "/v1/checkout/sessions":
            sessions = [self._refresh(session) for session in self.sessions.values()]
            return 200, self._list(sessions, params, path)
        if method == "GET" and path == "/v1/events":
            types = set(params.get("types") or []) or {e["type"] for e in self.events}
            events = [e for e in self.events if e["type"] in types]
            return 200, self._list(events, params, path)
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)(/expire)?", path)
        if match and match.group(1) in self.sessions:
            session = self._refresh(self.sessions[match.group(1)])
            if match.group(2) and method == "POST":
                if session["status"] != "open":
                    return 400, {"error": {"type": "invalid_request_error", "message": "not open"}}
                session["status"] = "expired"
                self.emit("checkout.session.expired", session)
            return 200, session
        if method == "POST" and path == "/v1/refunds":
            payment_intent = params.get("payment_intent")
            if self.refuse_refunds or payment_intent in self.refunded:
                code = self.refuse_refunds or "charge_already_refunded"
                error = {"type": "invalid_request_error", "code": code, "message": code}
                return 400, {"error": error}
            refund = {
                "id": new_id("re"),
                "object": "refund",
                "payment_intent": payment_intent,
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
            }
            self.refunds.append(refund)
            self.refunded.add(payment_intent)
            amount = self.amounts.get(payment_intent, 1000)
            self.emit("charge.refunded", self.charge(payment_intent, amount, amount))
            return 200, refund
        return 404, {"error": {"type": "invalid_request_error", "message": f"No such {path}"}}

    # Webhook helpers -----------------------------------------------------------------------

    @staticmethod
    def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "id": event_id or new_id("evt"),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "api_version": "2025-01-01",
            "data": {"object": obj},
        }

    @staticmethod
    def charge(payment_intent: str, amount: int, refunded: int) -> dict[str, Any]:
        return {
            "id": new_id("ch"),
            "object": "charge",
            "payment_intent": payment_intent,
            "amount": amount,
            "amount_refunded": refunded,
            "refunded": refunded >= amount,
        }

    @staticmethod
    def deliver(client, event: dict[str, Any], secret: str = WEBHOOK_SECRET):
        payload = json.dumps(event)
        return client.post(
            "/stripe/webhook/",
            data=payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(payload, secret),
        )

    # HTTP ------------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _reply(self, status: int, body: bytes, ctype: str, headers=()) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _api(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                path, _, query = self.path.partition("?")
                params = parse_form(body or query)
                key = self.headers.get("Idempotency-Key")
                if self.headers.get("Authorization", "") != "Bearer sk_test_fake":
                    status, data = 401, {"error": {"type": "invalid_request_error"}}
                else:
                    with fake.lock:
                        fake.requests.append((method, path, params, key))
                        if key and (method, key) in fake.idempotent:
                            status, data, first = fake.idempotent[(method, key)]
                            if first != params:  # Stripe refuses a key reused differently
                                status, data = 400, {"error": {"type": "idempotency_error"}}
                        else:
                            status, data = fake.route(method, path, params)
                            if key and status < 500:
                                fake.idempotent[(method, key)] = (status, data, params)
                self._reply(status, json.dumps(data).encode(), "application/json")

            def do_GET(self) -> None:
                match = re.fullmatch(r"/pay/(\w+)", self.path)
                if match and match.group(1) in fake.sessions:
                    session = fake.sessions[match.group(1)]
                    page = (
                        "<!doctype html><title>Fake Stripe Checkout</title>"
                        f"<h1>Pay {session['amount_total'] / 100:.2f} "
                        f"{html.escape(session['currency'].upper())}</h1>"
                        f'<form method="post"><button type="submit">Pay</button></form>'
                    )
                    self._reply(200, page.encode(), "text/html; charset=utf-8")
                    return
                self._api("GET")

            def do_POST(self) -> None:
                match = re.fullmatch(r"/pay/(\w+)", self.path)
                if match and match.group(1) in fake.sessions:
                    session = fake.complete(match.group(1))
                    target = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
                    self._reply(303, b"", "text/plain", [("Location", target)])
                    return
                self._api("POST")

        return Handler


@pytest.fixture
def fake_stripe(settings):
    """Stripe on: keys set and the client pointed at a fake server on loopback."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()
