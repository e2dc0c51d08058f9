"""Fixtures of the security tests (tests/security/world.py)."""

from tests.security.world import world  # noqa: F401
