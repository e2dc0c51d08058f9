"""Demo accounts for `manage.py seed_demo`. Known passwords: development only.

`demo_code()` runs without Django (the README's one-liner has no settings module), so this
module imports Django and allauth only inside the functions that need the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import TYPE_CHECKING

from accounts import roles

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper

    from accounts.models import User

DEMO_ACCOUNTS = [
    # email, password, display name, credentials, role group, is_staff
    ("instructor@demo.test", "demo-instructor", "Dr. Avery Lane", "PhD", roles.INSTRUCTOR, True),
    ("staff@demo.test", "demo-staff", "Sam Okafor", "", roles.STAFF, True),
    ("learner@demo.test", "demo-learner", "Dana Reyes", "LMHC", None, False),
    ("newcomer@demo.test", "demo-newcomer", "Jordan Pike", "LCSW", None, False),
]


# Staff must sign in with an authenticator app (accounts/mfa.py). The demo staff accounts share
# this well-known secret: add it to any authenticator app, or print the current code with
# `.venv/bin/python -c "from accounts.demo import demo_code; print(demo_code())"`.
DEMO_TOTP_SECRET = "HTWDEMOHTWDEMOHTWDEMOHTWDEMOHTWD"  # noqa: S105  (development only)


def demo_code(at: float | None = None) -> str:
    """The demo staff's current six-digit code (RFC 6238: HMAC-SHA1, 30-second steps), the
    one allauth's MFA_TOTP defaults accept."""
    counter = int(time.time() if at is None else at) // 30
    key = base64.b32decode(DEMO_TOTP_SECRET, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def give_demo_authenticator(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)


def demo_user(email: str) -> User:
    from accounts.models import User

    return User.objects.get(email=email)


def seed(stdout: OutputWrapper) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from accounts.models import User

    for email, password, name, credentials, role, is_staff in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"display_name": name, "credentials": credentials, "is_staff": is_staff},
        )
        if created:
            user.set_password(password)
            user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        if is_staff:
            give_demo_authenticator(user)
    if not User.objects.filter(is_superuser=True).exists():
        User.objects.create_superuser("admin@demo.test", "demo-admin", display_name="Site admin")
        EmailAddress.objects.get_or_create(
            user=User.objects.get(email="admin@demo.test"),
            email="admin@demo.test",
            defaults={"verified": True, "primary": True},
        )
        give_demo_authenticator(User.objects.get(email="admin@demo.test"))


def describe() -> list[str]:
    lines = [f"  {email:<24} password: {password}" for email, password, *_ in DEMO_ACCOUNTS]
    lines.append(f"  {'admin@demo.test':<24} password: demo-admin (superuser)")
    lines.append(
        f"  Staff accounts then ask for a code: authenticator secret {DEMO_TOTP_SECRET}, or "
        '.venv/bin/python -c "from accounts.demo import demo_code; print(demo_code())"'
    )
    return lines
