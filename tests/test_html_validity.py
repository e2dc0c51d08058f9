"""The main pages are valid HTML (issue 24, point 11), by the W3C's own checker: the Nu Html
Checker (vnu.jar, from npm's `vnu-jar`) run with Java on the pages of the demo content, as a
visitor and as the demo learner — the newsletter archive and issue among them.

`make vnu` fetches the checker into .cache/vnu (VNU_JAR points elsewhere). Without Java or the
checker the test skips, like the browser tests without Chromium; REQUIRE_BROWSER=1 (.ci/run,
which runs `make vnu` first) makes it a failure.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import skip_or_fail
from tests.test_accessibility_browser import learner_paths, public_paths

pytestmark = pytest.mark.django_db

VNU_JAR = Path(
    os.environ.get("VNU_JAR")
    or Path(settings.BASE_DIR) / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
)


@pytest.fixture
def vnu() -> list[str]:
    java = shutil.which("java")
    if not java or not VNU_JAR.exists():
        skip_or_fail("REQUIRE_BROWSER", "needs Java and the W3C HTML checker: make vnu")
    return [java, "-Xss8m", "-jar", str(VNU_JAR)]


def errors(vnu: list[str], files: dict[Path, str]) -> list[str]:
    """The checker's errors (not its warnings) in these files, as "page: line: message"."""
    result = subprocess.run(
        [*vnu, "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr)["messages"]
    return [
        f"{files[Path(m['url'].removeprefix('file:'))]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "fatal"
    ]


def test_the_main_pages_have_no_html_errors(vnu, demo_learner, client_for, tmp_path):
    files: dict[Path, str] = {}
    for user, paths in ((None, public_paths()), (demo_learner, learner_paths(demo_learner))):
        client = client_for(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            file = tmp_path / f"page{len(files)}.html"
            file.write_bytes(response.content)
            files[file.resolve()] = path

    found = errors(vnu, files)

    assert not found, f"{len(found)} HTML errors:\n" + "\n".join(found)


def test_the_checker_reports_what_the_issue_found(vnu, tmp_path):
    """hx-* attributes and datetime values with microseconds are errors, data-hx-* is not:
    the checker really runs and really reads the pages."""
    page = tmp_path / "page.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><title>t</title></head><body>'
        '<form hx-post="/a/" data-hx-post="/b/"></form>'
        '<time datetime="2026-11-23T10:00:00.123456+00:00">23 November</time>'
        "</body></html>"
    )

    found = errors(vnu, {page.resolve(): "/page/"})

    assert len(found) == 2, found
    assert "hx-post" in found[0] and "data-hx-post" not in found[0]
    assert "datetime" in found[1]
