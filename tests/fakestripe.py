"""A small fake of the Stripe API on loopback, for tests of the real `stripe` library.

It speaks just enough of the API for enrolment: create, retrieve and expire Checkout Sessions,
create refunds, with idempotency keys honoured as Stripe does (same key → same response). A tiny
hosted "checkout page" at `session.url` has a Pay button that completes the session and
redirects to its success_url, so browser tests can walk the whole journey.

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
        self.idempotent: dict[str, tuple[int, dict[str, Any]]] = {}
        self.failures = 0
        self.lock = threading.Lock()
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
        session = {
            "id": session_id,
            "object": "checkout.session",
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

    def complete(self, session_id: str, *, paid: bool = True) -> dict[str, Any]:
        """What happens when the person pays on the hosted page."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            session["payment_intent"] = session["payment_intent"] or new_id("pi")
            return dict(session)

    def route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict]:
        if self.failures:
            self.failures -= 1  # an outage: the library retries, so it may fail several times
            return 500, {"error": {"type": "api_error", "message": "fake outage"}}
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)(/expire)?", path)
        if match and match.group(1) in self.sessions:
            session = self.sessions[match.group(1)]
            if match.group(2) and method == "POST":
                if session["status"] != "open":
                    return 400, {"error": {"type": "invalid_request_error", "message": "not open"}}
                session["status"] = "expired"
            return 200, session
        if method == "POST" and path == "/v1/refunds":
            refund = {
                "id": new_id("re"),
                "object": "refund",
                "payment_intent": params.get("payment_intent"),
                "status": "succeeded",
                "metadata": params.get("metadata", {}),
            }
            self.refunds.append(refund)
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
                            status, data = fake.idempotent[(method, key)]
                        else:
                            status, data = fake.route(method, path, params)
                            if key and status < 500:
                                fake.idempotent[(method, key)] = (status, data)
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
