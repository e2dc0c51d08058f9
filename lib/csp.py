"""Content-Security-Policy, from django-csp: the policy is `CONTENT_SECURITY_POLICY` in
config/settings.py; templates that need an inline script write
`<script nonce="{{ request.csp_nonce }}">`.

One inline script is not ours to give a nonce: the import map the rich-text editor
(django-prose-editor) renders with its form media. It is allowed by its SHA-256 instead.
"""

import base64
import hashlib
import re

from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase


def editor_importmap_hash() -> str:
    """The CSP source of the editor's import map: its JSON depends on the static files'
    (hashed) URLs, so it is computed from the map as it renders."""
    from django_prose_editor.widgets import importmap

    html = str(importmap.render())
    match = re.search(r"<script[^>]*>(.*)</script>", html, re.DOTALL)
    if not match:
        raise ValueError("django-prose-editor's import map is not a <script> element")
    digest = hashlib.sha256(match.group(1).encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the editor's import map allowed on every response."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            update = dict(parts.update or {})
            update["script-src"] = [*update.get("script-src", ()), editor_importmap_hash()]
            parts.update = update
        return parts
