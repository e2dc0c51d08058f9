"""The Content-Security-Policy header: scripts only from our origin or with the response's nonce."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from lib import csp

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("url", ["/", "/privacy/", "/accounts/login/", "/newsletter/"])
def test_public_pages_send_a_policy_without_unsafe_inline_scripts(client, url):
    directives = policy(client.get(url))
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"


def test_each_response_gets_its_own_nonce(client):
    first = policy(client.get("/"))["script-src"]
    second = policy(client.get("/"))["script-src"]
    nonce = re.compile(r"'nonce-([\w+/=-]+)'")
    assert nonce.search(first) and nonce.search(second)
    assert nonce.search(first).group(1) != nonce.search(second).group(1)


def test_admin_pages_send_the_policy_too(client_for, instructor):
    response = client_for(instructor).get(reverse("admin:index"))
    assert "'unsafe-inline'" not in policy(response)["script-src"]


def test_the_editor_import_map_is_allowed_by_its_hash(client_for, instructor):
    """The import map django-prose-editor renders (no nonce) is allowed by its SHA-256."""
    import base64
    import hashlib

    response = client_for(instructor).get(reverse("admin:lessons_lesson_add"))
    importmap = re.search(
        r'<script type="importmap"[^>]*>(.*?)</script>', response.content.decode(), re.DOTALL
    )
    assert importmap, "the editor's import map is on the page"
    digest = hashlib.sha256(importmap.group(1).encode()).digest()
    expected = f"'sha256-{base64.b64encode(digest).decode()}'"
    assert csp.editor_importmap_hash() == expected
    assert expected in policy(response)["script-src"].split()


def test_lesson_video_players_may_be_framed_and_nothing_else(client):
    from lessons import embeds

    directives = policy(client.get("/"))
    assert set(directives["frame-src"].split()) == set(embeds.FRAME_ORIGINS)


def test_forms_may_go_to_stripe_checkout_in_production(client, settings):
    from django.conf import settings as live

    directives = {**live.CONTENT_SECURITY_POLICY["DIRECTIVES"]}
    assert "https://checkout.stripe.com" in directives["form-action"]
    directives["form-action"] = ["'self'", "https://checkout.stripe.com"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": directives}
    assert policy(client.get("/"))["form-action"] == "'self' https://checkout.stripe.com"


def test_no_template_has_an_inline_script_without_the_nonce():
    """Inline code carries `nonce="{{ request.csp_nonce }}"`; handlers (onclick=) never run."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" in tag or "csp_nonce" in tag or "application/json" in tag:
                continue
            offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text:
            offenders.append(f"{path.relative_to(TEMPLATES)}: inline event handler")
    assert offenders == []
