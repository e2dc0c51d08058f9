"""The one place that talks to Stripe, through the official `stripe` library.

Everything returns plain dicts, so services never depend on the library's object types. Calls
that create something (a Checkout Session, a refund) carry an idempotency key derived from our
own row, so a retry after a timeout never charges or refunds twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterator
from typing import Any

import stripe
from django.conf import settings


class PaymentError(Exception):
    """Stripe could not be reached or refused the request."""


class PaymentRefused(PaymentError):
    """Stripe answered that the request can never succeed as sent (a 4xx): retrying is useless."""


class MalformedEvent(ValueError):
    """A validly signed webhook body that is not a Stripe event we can read.

    It came from Stripe, so staff should see it: `event_id` is the event's own id when that
    is usable, else a digest of the body (so a redelivery finds the same row).
    """

    def __init__(self, reason: str, *, body: str, data: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        event = data if isinstance(data, dict) else {}
        self.event_id = _clean_id(event.get("id")) or (
            "malformed-" + hashlib.sha256(body.encode()).hexdigest()[:40]
        )
        self.type = _clean_id(event.get("type"))


def is_enabled() -> bool:
    """Online payment is on only when both keys are set (off in `make run`)."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


def client() -> stripe.StripeClient:
    base_addresses: dict[str, str] = {}
    if settings.STRIPE_API_BASE:
        base_addresses["api"] = settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        max_network_retries=2,
    )


def create_checkout_session(
    *,
    reference: str,
    amount_cents: int,
    currency: str,
    product_name: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    expires_at: dt.datetime,
    metadata: dict[str, str],
    allow_promotion_codes: bool,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount_cents,
                    "product_data": {"name": product_name},
                },
            }
        ],
        "customer_email": customer_email,
        "client_reference_id": reference,
        "success_url": success_url,
        "cancel_url": cancel_url,
        # Rounded up: Stripe refuses a time even a fraction of a second inside its window.
        "expires_at": math.ceil(expires_at.timestamp()),
        "metadata": metadata,
        # Cards only: they succeed or fail while the person is at Checkout. Delayed methods
        # (bank debits, vouchers) would complete "unpaid" and confirm days after the hold.
        "payment_method_types": ["card"],
        # Stripe emails the card receipt to this address once the payment succeeds.
        "payment_intent_data": {"metadata": metadata, "receipt_email": customer_email},
    }
    if allow_promotion_codes:
        params["allow_promotion_codes"] = True
    try:
        session = client().v1.checkout.sessions.create(
            params,  # type: ignore[arg-type]
            {"idempotency_key": f"checkout-{reference}"},
        )
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc
    return session.to_dict()


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    try:
        return client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def expire_checkout_session(session_id: str) -> dict[str, Any] | None:
    """Close an open session so a lapsed hold cannot be paid for any more.

    Returns the expired session, or None when it was not open (paid or expired already:
    retrieve it to know which).
    """
    try:
        return client().v1.checkout.sessions.expire(session_id).to_dict()
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def list_checkout_sessions(*, since: dt.datetime) -> Iterator[dict[str, Any]]:
    """Every Checkout Session created since `since`, newest first."""
    params = {"created": {"gte": int(since.timestamp())}, "limit": 100}
    try:
        for session in client().v1.checkout.sessions.list(params).auto_paging_iter():  # type: ignore[arg-type]
            yield session.to_dict()
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def list_events(*, since: dt.datetime, types: list[str]) -> Iterator[dict[str, Any]]:
    """Stripe's events of these types since `since` (it keeps 30 days), newest first."""
    params = {"created": {"gte": int(since.timestamp())}, "types": types, "limit": 100}
    try:
        for event in client().v1.events.list(params).auto_paging_iter():  # type: ignore[arg-type]
            yield event.to_dict()
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def refund_payment(*, payment_intent: str, reference: str) -> dict[str, Any]:
    """Refund a payment in full. Raises PaymentRefused when Stripe will never do it."""
    try:
        refund = client().v1.refunds.create(
            {"payment_intent": payment_intent, "metadata": {"reference": reference}},
            # Keyed by the payment: it can be refunded once, and a re-enrolment that reuses
            # the same Enrollment row pays with a new payment intent, so gets a new key.
            {"idempotency_key": f"refund-{payment_intent}"},
        )
    except stripe.InvalidRequestError as exc:
        if exc.code == "charge_already_refunded":
            return {"payment_intent": payment_intent, "status": "succeeded"}
        raise PaymentRefused(str(exc)) from exc
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc
    return refund.to_dict()


# Stripe's ids and type names: letters, digits, "_", ".", ":" and "-", never control bytes.
_ID = re.compile(r"[A-Za-z0-9_.:-]{1,255}")
# Later than any event we will see, and early enough for datetime (year 9999 overflows).
_LATEST_TIMESTAMP = 4102444800  # 2100-01-01
_MAX_DEPTH = 32  # Stripe's objects nest a handful of levels
_MAX_AMOUNT = 2**31 - 1  # what our amount columns hold


def _clean_id(value: object) -> str:
    return value if isinstance(value, str) and _ID.fullmatch(value) else ""


def _too_deep(data: object) -> bool:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return True
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return False


def verified_event(payload: bytes, signature: str) -> dict[str, Any]:
    """The event in a webhook body, after checking Stripe's signature.

    Raises ValueError for a missing or bad signature (anyone can send those: nothing is
    stored), and MalformedEvent for a signed body that is not an event we can read.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise ValueError("missing signature or webhook secret")
    try:
        body = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            body, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except (UnicodeDecodeError, stripe.SignatureVerificationError) as exc:
        raise ValueError("bad signature") from exc
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedEvent("body is not JSON", body=body) from None
    return checked_event(data, body=body)


def checked_event(data: Any, *, body: str = "") -> dict[str, Any]:
    """`data` if it has the shape of a Stripe event, else MalformedEvent.

    The fields services read are checked here once, so that no odd value (a NUL byte, a
    timestamp past year 9999, a list for an object) reaches the database or a datetime.
    """
    body = body or repr(data)[:10000]

    def bad(reason: str) -> MalformedEvent:
        return MalformedEvent(reason, body=body, data=data)

    if not isinstance(data, dict):
        raise bad("not a JSON object")
    if _too_deep(data):
        raise bad(f"nested deeper than {_MAX_DEPTH} levels")
    if not _clean_id(data.get("id")) or not _clean_id(data.get("type")):
        raise bad("no usable event id or type")
    created = data.get("created")
    if created is not None and (type(created) is not int or not 0 <= created <= _LATEST_TIMESTAMP):
        raise bad("created is not a timestamp")
    inner = data.get("data")
    obj = inner.get("object") if isinstance(inner, dict) else None
    if not isinstance(obj, dict):
        raise bad("data.object is not an object")
    if not _clean_id(obj.get("id")):
        raise bad("data.object.id is not a Stripe id")
    for key in ("payment_intent", "status", "payment_status"):
        value = obj.get(key)
        if value is not None and not _clean_id(value):
            raise bad(f"data.object.{key} is not a Stripe id or name")
    for key in ("amount", "amount_total", "amount_refunded"):
        value = obj.get(key)
        if value is not None and (type(value) is not int or not 0 <= value <= _MAX_AMOUNT):
            raise bad(f"data.object.{key} is not an amount")
    if not isinstance(obj.get("metadata") or {}, dict):
        raise bad("data.object.metadata is not an object")
    return data
