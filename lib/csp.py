"""Content-Security-Policy: scripts only from our own origin, or inline with this response's
nonce, or matching a known hash. No 'unsafe-inline' for scripts, anywhere (admin included).

Templates that need an inline script write `<script nonce="{{ request.csp_nonce }}">`.
The rich-text editor's import map (django-prose-editor) is a fixed inline block: its SHA-256
is computed once and allowed by hash.
"""

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse


@cache
def static_script_hashes() -> tuple[str, ...]:
    """Hashes of the inline scripts that third-party widgets render (the editor import map)."""
    from django_prose_editor.widgets import importmap

    html = str(importmap.render())
    match = re.search(r"<script[^>]*>(.*)</script>", html, re.DOTALL)
    if not match:
        return ()
    digest = hashlib.sha256(match.group(1).encode()).digest()
    return (f"'sha256-{base64.b64encode(digest).decode()}'",)


def build_policy(nonce: str) -> str:
    frame_src = " ".join(settings.CSP_FRAME_SRC) or "'none'"
    form_action = " ".join(["'self'", *settings.CSP_FORM_ACTION])
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", f"'nonce-{nonce}'", *static_script_hashes()]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(["'self'", "data:", *settings.CSP_IMG_SRC]),
        "media-src": " ".join(["'self'", *settings.CSP_MEDIA_SRC]),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "frame-src": frame_src,
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": form_action,
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", build_policy(nonce))
        return response
