"""Malformed but validly signed webhook bodies (issue 20, point 9): 400, logged, and kept
for staff as a "malformed" event — never a 500, and nothing acted on. On PostgreSQL, which
refuses NUL bytes in text."""

import json
import logging

import pytest

from courses.models import Enrollment, StripeEvent
from tests.fakestripe import sign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def event(**fields) -> dict:
    base = {
        "id": "evt_odd",
        "object": "event",
        "type": "checkout.session.completed",
        "created": 1767225600,
        "data": {"object": {"id": "cs_odd", "payment_status": "paid", "metadata": {}}},
    }
    return {**base, **fields}


def session(**fields) -> dict:
    return event(data={"object": {"id": "cs_odd", "payment_status": "paid", **fields}})


def nested(depth: int) -> dict:
    node: dict = {}
    for _ in range(depth):
        node = {"a": node}
    return node


MALFORMED = {
    "data is a list": json.dumps(event(data=[])),
    "data is a string": json.dumps(event(data="object")),
    "data.object is a list": json.dumps(event(data={"object": []})),
    "created far in the future": json.dumps(event(created=10**20)),
    "created before 1970": json.dumps(event(created=-(10**12))),
    "created as a float": json.dumps(event(created=1e308)),
    "NUL in the event id": json.dumps(event(id="evt_\x00odd")),
    "NUL in the type": json.dumps(event(type="checkout.session.completed\x00")),
    "NUL in the session id": json.dumps(event(data={"object": {"id": "cs_\x00"}})),
    "NUL in the payment intent": json.dumps(session(payment_intent="pi_\x00")),
    "NUL in a dispute status": json.dumps(
        event(
            type="charge.dispute.closed",
            data={"object": {"id": "dp_1", "payment_intent": "pi_1", "status": "lost\x00"}},
        )
    ),
    "an amount past the column": json.dumps(session(amount_total=10**12)),
    "an amount as text": json.dumps(session(amount_total="lots")),
    "deep metadata": json.dumps(session(metadata=nested(200))),
    "JSON nested past the parser": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_signed_malformed_body_is_400_logged_and_kept_for_staff(client, fake_stripe, caplog, body):
    with caplog.at_level(logging.WARNING, logger="courses"):
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body),
        )

    assert response.status_code == 400
    [record] = StripeEvent.objects.all()
    assert record.outcome == StripeEvent.Outcome.MALFORMED
    assert "\x00" not in record.event_id + record.type + record.detail
    assert "refused as malformed" in caplog.text
    assert not Enrollment.objects.exists()


def test_the_same_malformed_body_delivered_again_is_kept_once(client, fake_stripe):
    body = json.dumps(event(data=[]))
    for _ in range(2):
        response = client.post(
            "/stripe/webhook/",
            body,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign(body),
        )
        assert response.status_code == 400

    assert StripeEvent.objects.get().event_id == "evt_odd"


def test_an_unsigned_malformed_body_is_refused_and_not_kept(client, fake_stripe):
    body = json.dumps(event(data=[]))

    response = client.post(
        "/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=00"
    )

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
