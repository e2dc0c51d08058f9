"""Demo accounts for `manage.py seed_demo`. Known passwords: development only."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User

DEMO_ACCOUNTS = [
    # email, password, display name, credentials, role group, is_staff
    ("instructor@demo.test", "demo-instructor", "Dr. Avery Lane", "PhD", roles.INSTRUCTOR, True),
    ("staff@demo.test", "demo-staff", "Sam Okafor", "", roles.STAFF, True),
    ("learner@demo.test", "demo-learner", "Dana Reyes", "LMHC", None, False),
    ("newcomer@demo.test", "demo-newcomer", "Jordan Pike", "LCSW", None, False),
]


def demo_user(email: str) -> User:
    return User.objects.get(email=email)


def seed(stdout) -> None:
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
    if not User.objects.filter(is_superuser=True).exists():
        User.objects.create_superuser("admin@demo.test", "demo-admin", display_name="Site admin")
        EmailAddress.objects.get_or_create(
            user=User.objects.get(email="admin@demo.test"),
            email="admin@demo.test",
            defaults={"verified": True, "primary": True},
        )


def describe() -> list[str]:
    lines = [f"  {email:<24} password: {password}" for email, password, *_ in DEMO_ACCOUNTS]
    lines.append(f"  {'admin@demo.test':<24} password: demo-admin (superuser)")
    return lines
