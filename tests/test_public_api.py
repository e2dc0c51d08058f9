"""App code uses Django's public API only (issue 22, point 2): no private names, no lazy-object
unwrapping, no query compilers or hand-built SQL through `connection.ops`.

An ast walk over every module of lib, the apps and config (not tests, not migrations) fails on:
- a private import: `from django.x import _y`, `import django.x._y`, or one of Django's
  undocumented internals (`django.db.models.sql`, the values-list iterables, `empty`);
- a private attribute `obj._name` (or `getattr(obj, "_name")`) on anything but `self`/`cls`,
  except what Django documents: `_meta`, `_default_manager`, `_base_manager` and
  `_state.adding` / `_state.db`. Our own per-request attributes are named `_htw_…`;
- `.query.<anything>` (reaching into a QuerySet's query), `get_compiler(...)`, and
  `connection.ops` / `connections[alias].ops`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "lib",
    "audit",
    "outbox",
    "accounts",
    "courses",
    "lessons",
    "qa",
    "forum",
    "zoomgroups",
    "newsletter",
    "ce",
    "contact",
    "bookmarks",
    "config",
]

DOCUMENTED_PRIVATE = {"_meta", "_default_manager", "_base_manager", "_state"}
DOCUMENTED_STATE = {"adding", "db"}
OUR_PREFIX = "_htw_"
INTERNAL_MODULES = ("django.db.models.sql",)
INTERNAL_NAMES = {
    "empty",  # django.utils.functional: a LazyObject's "not loaded yet" marker
    "NamedValuesListIterable",
    "ValuesListIterable",
    "FlatValuesListIterable",
    "ModelIterable",
    "create_namedtuple_class",
}
CONNECTION = re.compile(r"(^|\.)connection$|(^|\.)connections\[")

# Not Django: allauth has no public hook for the failed-sign-in key (see the method's
# docstring; tests/security/test_ratelimits.py fails if allauth changes it).
THIRD_PARTY = {("accounts/adapter.py", "super()._get_login_attempts_cache_key")}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and not name.startswith(OUR_PREFIX)


def findings(source: str) -> list[tuple[int, str]]:
    """(line, what) for each use of Django's private internals in `source`."""
    found: list[tuple[int, str]] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = node.module
            if module.split(".")[0] != "django":
                continue
            if any(part.startswith("_") for part in module.split(".")) or module.startswith(
                INTERNAL_MODULES
            ):
                found.append((node.lineno, f"from {module} import"))
            for alias in node.names:
                if _private(alias.name) or alias.name in INTERNAL_NAMES:
                    found.append((node.lineno, f"from {module} import {alias.name}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "django" and (
                    any(p.startswith("_") for p in parts) or alias.name.startswith(INTERNAL_MODULES)
                ):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.Attribute):
            base = ast.unparse(node.value)
            if (
                _private(node.attr)
                and base not in ("self", "cls")
                and node.attr not in DOCUMENTED_PRIVATE
            ):
                found.append((node.lineno, f"{base}.{node.attr}"))
            if (
                isinstance(node.value, ast.Attribute)
                and node.value.attr == "_state"
                and node.attr not in DOCUMENTED_STATE
            ):
                found.append((node.lineno, f"{base}.{node.attr}"))
            if isinstance(node.value, ast.Attribute) and node.value.attr == "query":
                found.append((node.lineno, f"{base}.{node.attr}"))
            if node.attr == "get_compiler":
                found.append((node.lineno, f"{base}.get_compiler"))
            if node.attr == "ops" and CONNECTION.search(base):
                found.append((node.lineno, f"{base}.ops"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and node.args[1].value not in DOCUMENTED_PRIVATE
        ):
            base = ast.unparse(node.args[0])
            if base not in ("self", "cls"):
                found.append((node.lineno, f"{node.func.id}({base}, {node.args[1].value!r})"))
    return found


def app_modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def test_app_code_uses_only_djangos_public_api():
    found = []
    for path in app_modules():
        relative = path.relative_to(ROOT).as_posix()
        for line, what in findings(path.read_text()):
            if (relative, what) not in THIRD_PARTY:
                found.append(f"{relative}:{line}: {what}")
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "from django.utils.functional import empty",
        "from django.db.models.sql import Query",
        "from django.db.models.sql.compiler import SQLCompiler",
        "from django.utils.autoreload import _exclusions",
        "import django.db.models._private",
        "if request.user._wrapped is None:\n    request.user._setup()",
        "rows = queryset._result_cache",
        "cache = obj._prefetched_objects_cache",
        "profile = user._state.fields_cache.get('forum_profile')",
        "wrapped = getattr(request.user, '_wrapped', None)",
        "sql, params = qs.query.get_compiler('default').as_sql()",
        "qs.query.where = None",
        "quote = connection.ops.quote_name",
        "ops = connections[self.db].ops",
    ],
)
def test_the_check_finds_private_internals(source):
    assert findings(source)


@pytest.mark.parametrize(
    "source",
    [
        "fields = Lesson._meta.get_fields()",
        "manager = model._default_manager",
        "obj._state.adding = False",
        "request._htw_session_passed_mfa = True",
        "cached = getattr(user, '_htw_access_runs', None)",
        "self._cache = {}",
        "query = parse_qs(urlparse(url).query)",
        "from django.utils.functional import cached_property",
        "from django.db.models import Q",
    ],
)
def test_the_check_allows_the_public_api(source):
    assert findings(source) == []
