"""The one place that talks to Stripe, through the official `stripe` library.

Everything returns plain dicts, so services never depend on the library's object types. Calls
that create something (a Checkout Session, a refund) carry an idempotency key derived from our
own row, so a retry after a timeout never charges or refunds twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import stripe
from django.conf import settings


class PaymentError(Exception):
    """Stripe could not be reached or refused the request."""


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
        "expires_at": int(expires_at.timestamp()),
        "metadata": metadata,
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


def expire_checkout_session(session_id: str) -> None:
    """Close an open session so a lapsed hold cannot be paid for any more."""
    try:
        client().v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError:
        pass  # already complete or expired: nothing to close
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc


def refund_payment(*, payment_intent: str, reference: str) -> dict[str, Any]:
    try:
        refund = client().v1.refunds.create(
            {"payment_intent": payment_intent, "metadata": {"reference": reference}},
            # Keyed by the payment: it can be refunded once, and a re-enrolment that reuses
            # the same Enrollment row pays with a new payment intent, so gets a new key.
            {"idempotency_key": f"refund-{payment_intent}"},
        )
    except stripe.StripeError as exc:
        raise PaymentError(str(exc)) from exc
    return refund.to_dict()


def verified_event(payload: bytes, signature: str) -> dict[str, Any]:
    """The event in a webhook body, after checking Stripe's signature.

    Raises ValueError for a bad signature or a body that is not a Stripe event.
    """
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise ValueError("missing signature or webhook secret")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise ValueError("bad signature") from exc
    except (UnicodeDecodeError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ValueError("malformed event") from exc
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise ValueError("not an event")
    obj = (data.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        raise ValueError("event without an object")
    return data
