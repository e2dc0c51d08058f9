"""POST /zoom/webhook/: Zoom's signed events (issue 26), verified as Zoom documents them.

The `x-zm-signature` header must be "v0=" + HMAC-SHA256 of "v0:{x-zm-request-timestamp}:{raw
body}" with ZOOM_WEBHOOK_SECRET_TOKEN, and the timestamp within five minutes of now: a wrong
signature or a stale (replayed) request is 401 and nothing is stored. A signed body that is
not a JSON event is 400. The `endpoint.url_validation` challenge is answered with the plain
token and its HMAC; every other event is stored once and handled in a task (zoom_sync).
Without the secret token the endpoint does not exist (404).
"""

from __future__ import annotations

import hmac
import json
import math
import time

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zoomgroups import zoom, zoom_sync


def timestamp_is_recent(value: str) -> bool:
    if not value.isascii() or not value.isdigit() or len(value) > 16:
        return False
    seconds = int(value) / (1000 if len(value) > 11 else 1)  # seconds, or milliseconds
    return abs(time.time() - seconds) <= zoom_sync.MAX_EVENT_AGE.total_seconds()


def _refuse(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: jsonb refuses them


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("a number too large")
    return value


def unauthorised(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=401, content_type="text/plain")


@csrf_exempt
@require_POST
def zoom_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.ZOOM_WEBHOOK_SECRET_TOKEN
    if not secret:
        raise Http404("Zoom webhooks are off.")
    timestamp = request.headers.get("x-zm-request-timestamp", "")
    given = request.headers.get("x-zm-signature", "")
    expected = zoom.signature(secret, timestamp, request.body)
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return unauthorised("bad signature")
    if not timestamp_is_recent(timestamp):
        return unauthorised("stale timestamp")
    try:
        # PostgreSQL's jsonb refuses the NUL character: such a body is refused here, not stored.
        if b"\\u0000" in request.body:
            raise ValueError("NUL")
        data = json.loads(request.body, parse_constant=_refuse, parse_float=_finite)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return HttpResponse("malformed JSON", status=400, content_type="text/plain")
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        return HttpResponse("not an event", status=400, content_type="text/plain")
    if data["event"] == "endpoint.url_validation":
        payload = data.get("payload")
        plain = payload.get("plainToken") if isinstance(payload, dict) else None
        if not isinstance(plain, str) or not plain:
            return HttpResponse("no plainToken", status=400, content_type="text/plain")
        return JsonResponse(
            {"plainToken": plain, "encryptedToken": zoom.encrypt_token(secret, plain)}
        )
    _, created = zoom_sync.record_event(data=data)
    return JsonResponse({"received": True, "duplicate": not created})
