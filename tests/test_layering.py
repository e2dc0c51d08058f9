"""The layers of the code (README, "Layout"): a module imports only from its own layer or
the layers below it, and product code never imports the benchmarks.

    lib  →  audit, outbox  →  accounts  →  courses, lessons, qa, forum, zoomgroups, newsletter,
    ce, contact, bookmarks  →  config

`lib/` is shared topic modules that know no app; audit and outbox are platform apps every
other app may record into; accounts knows only those (each app contributes its part of the
data export and erasure through its own `privacy.py`); the domain apps may use each other;
config (settings, URLs, Celery, the menu) puts everything together.

One exception: under `if TYPE_CHECKING:` any module may import `accounts.models` for the
type of the user (Django's own design makes every app depend on `AUTH_USER_MODEL`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS: list[tuple[str, ...]] = [
    ("lib",),
    ("audit", "outbox"),
    ("accounts",),
    ("courses", "lessons", "qa", "forum", "zoomgroups", "newsletter", "ce", "contact", "bookmarks"),
    ("config",),
]
RANK = {package: rank for rank, packages in enumerate(LAYERS) for package in packages}
BENCH = "bench"
TYPE_ONLY_ALLOWED = {"accounts.models"}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(source: str) -> list[tuple[int, str, bool]]:
    """(line, imported module, only for type checking) of every absolute import in `source`."""
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module, type_only))
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(ast.parse(source), False)
    return found


def violations(package: str, path: str, source: str) -> list[str]:
    """What `source` (a module of `package`) imports against the layering."""
    found = []
    for line, module, type_only in imports(source):
        top = module.split(".")[0]
        where = f"{path}:{line} imports {module}"
        if top == BENCH:
            found.append(f"{where}: product code never imports the benchmarks")
        elif top in RANK and RANK[top] > RANK[package]:
            if type_only and any(module.startswith(m) for m in TYPE_ONLY_ALLOWED):
                continue
            found.append(f"{where}: {package} is below {top}")
    return found


def product_modules() -> list[tuple[str, str]]:
    modules = []
    for package in RANK:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules.append((package, path.relative_to(ROOT).as_posix()))
    return modules


def test_every_module_imports_only_its_own_layer_or_below():
    found = []
    for package, path in product_modules():
        found += violations(package, path, (ROOT / path).read_text())
    assert found == []


def test_the_project_root_modules_never_import_the_benchmarks():
    found = []
    for path in ["manage.py", "gunicorn.conf.py"]:
        found += [v for v in violations("config", path, (ROOT / path).read_text()) if BENCH in v]
    assert found == []


def test_every_app_is_in_a_layer():
    """A new app is placed in a layer (here and in the README) before it is checked; the
    benchmark app stands outside the layers (nothing of the product may import it)."""
    from django.apps import apps

    ours = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and "site-packages" not in config.path
    }
    assert ours - set(RANK) - {BENCH} == set()


TYPE_CHECKING_BLOCK = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    "


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("lib", "from courses.models import is_member"),
        ("lib", "import forum.services"),
        ("lib", "def f():\n    from accounts import services\n"),
        ("accounts", "from courses import services"),
        ("accounts", "from forum.models import Post"),
        ("outbox", "from accounts.services import delete_account"),
        ("audit", "from lessons.models import Lesson"),
        ("courses", "from config.navigation import nav_items"),
        ("courses", "from bench.pages import PAGES"),
        ("lib", f"{TYPE_CHECKING_BLOCK}from courses import models"),
    ],
)
def test_the_check_finds_an_import_against_the_layers(package, source):
    assert violations(package, f"{package}/example.py", source)


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("lib", "from django.db import models\nimport nh3"),
        ("accounts", "from lib import ratelimit\nfrom outbox.services import queue_email"),
        ("courses", "from accounts.models import User\nfrom lessons.models import Lesson"),
        ("forum", "from courses import models\nfrom qa.models import Question"),
        ("lib", f"{TYPE_CHECKING_BLOCK}from accounts.models import User"),
        ("courses", "from . import models"),
    ],
)
def test_the_check_allows_imports_along_the_layers(package, source):
    assert violations(package, f"{package}/example.py", source) == []
