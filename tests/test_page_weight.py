"""What each main page makes a phone download (issue 24, point 11): its HTML, stylesheets and
scripts together at most 40 KB compressed, and htmx and drafts.js only on the pages that use
them. Bytes, not time: gzip at level 9 (what WhiteNoise serves static files with, and close to
what the proxy does with the HTML), counted per page as a first visit, nothing in the cache.

The pages are the ones the accessibility tests walk through, in the demo content
(`seed_demo`), as a visitor and as the demo learner.
"""

import gzip
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.test_accessibility_browser import learner_paths, public_paths

pytestmark = pytest.mark.django_db

BUDGET = 40_000  # bytes, compressed: HTML + CSS + JS of one page
ASSET = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\srel="stylesheet"[^>]*\shref)="([^"]+)"')
HTMX_SCRIPT = "vendor/htmx.min.js"
HTMX_ATTRIBUTE = re.compile(r"\sdata-hx-[a-z-]+=")
BARE_HTMX_ATTRIBUTE = re.compile(r"\shx-[a-z-]+[=\s>]")
DRAFTS_SCRIPT = "js/drafts.js"
TEMPLATES = Path(settings.BASE_DIR) / "templates"


@pytest.fixture
def pages(demo_learner, client_for) -> dict[str, str]:
    """Every main page's HTML, by path: the public ones as a visitor, the rest as a learner."""
    html = {}
    for user, paths in ((None, public_paths()), (demo_learner, learner_paths(demo_learner))):
        client = client_for(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            html[path] = response.content.decode()
    return html


def compressed(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def assets(page: str) -> list[str]:
    """The same-origin stylesheets and scripts a page loads, as static file paths."""
    found = []
    for url in ASSET.findall(page):
        assert url.startswith(settings.STATIC_URL), f"an asset from elsewhere: {url}"
        found.append(url.removeprefix(settings.STATIC_URL))
    return found


def weight(page: str) -> int:
    total = compressed(page.encode())
    for name in assets(page):
        path = finders.find(name)
        assert path, f"no static file {name}"
        total += compressed(Path(path).read_bytes())
    return total


def test_main_pages_weigh_at_most_40_kb_and_load_htmx_and_drafts_only_where_used(pages):
    """One test for the three, as building the demo content is most of its time."""
    weights = {path: weight(page) for path, page in pages.items()}
    too_heavy = {path: w for path, w in weights.items() if w > BUDGET}
    assert not too_heavy, f"over {BUDGET} bytes compressed: {too_heavy}"

    loads = {path for path, page in pages.items() if HTMX_SCRIPT in page}
    uses = {path for path, page in pages.items() if HTMX_ATTRIBUTE.search(page)}
    assert loads - uses == set(), "loads htmx without using it"
    assert uses - loads == set(), "uses data-hx-* without loading htmx"
    # Neither side is empty: the lesson page and the Friday groups use it, the home page not.
    assert uses and len(uses) < len(pages)

    loads = {path for path, page in pages.items() if DRAFTS_SCRIPT in page}
    forms = {path for path, page in pages.items() if "data-draft-key=" in page}
    assert loads - forms == set(), "loads drafts.js without a long-text form"
    assert forms - loads == set(), "a long-text form without drafts.js"
    assert forms and len(forms) < len(pages)


def test_templates_spell_htmx_attributes_the_valid_way():
    """`hx-post` is not valid HTML; `data-hx-post` is, and htmx reads both."""
    bare = [
        f"{path.relative_to(TEMPLATES)}: {match.group().strip()}"
        for path in TEMPLATES.rglob("*.html")
        for match in BARE_HTMX_ATTRIBUTE.finditer(path.read_text())
    ]
    assert not bare


def test_the_htmx_patterns_tell_the_two_spellings_apart():
    assert HTMX_ATTRIBUTE.search('<form data-hx-post="/x/">')
    assert not HTMX_ATTRIBUTE.search('<script src="/static/vendor/htmx.min.js" defer>')
    assert BARE_HTMX_ATTRIBUTE.search('<form hx-post="/x/">')
    assert not BARE_HTMX_ATTRIBUTE.search('<form data-hx-post="/x/">')
