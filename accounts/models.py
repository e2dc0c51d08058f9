import secrets
import zoneinfo
from functools import cache
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from accounts import mfa


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    return [("UTC", "UTC"), *((z, z.replace("_", " ")) for z in zones)]


# A closed account keeps its row (payment records and kept forum posts point to it) under this
# name and an address at this domain, which identifies no one and can never receive mail.
FORMER_MEMBER = "Former member"
CLOSED_ACCOUNT_DOMAIN = "deleted.invalid"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


def public_name(display_name: str, credentials: str) -> str:
    """`User.public_name` for a name and credentials read as plain values."""
    name = display_name or "Member"
    return f"{name}, {credentials}" if credentials else name


class User(AbstractBaseUser, PermissionsMixin):
    """A person with an account: learner, instructor or staff. Email is the login."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=80, blank=True, help_text="How other learners see you, e.g. “Dana R.”"
    )
    credentials = models.CharField(
        "professional credentials", max_length=80, blank=True, help_text="For example LMHC, PhD."
    )
    time_zone = models.CharField(
        max_length=64,
        default="America/New_York",
        choices=time_zone_choices,
        help_text="Times of live groups are shown in this zone.",
    )
    bio = models.TextField("short bio", max_length=1000, blank=True)
    feed_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_feed_token,
        editable=False,
        help_text="Secret part of the learner's private podcast and calendar feed URLs.",
    )
    is_staff = models.BooleanField(
        "staff status", default=False, help_text="Can sign in to the staff admin."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        indexes = [
            # "Contains" searches on a person's email or name (the admin's searches, the
            # question search's askers) as trigram indexes on PostgreSQL, in the upper case
            # `icontains` compares: otherwise each reads every account.
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="accounts_user_email_trgm"),
            GinIndex(
                OpClass(Upper("display_name"), name="gin_trgm_ops"), name="accounts_user_name_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name shown to other people: never the email address."""
        return public_name(self.display_name, self.credentials)

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.display_name or self.email

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    # Staff powers count only in a session that passed a second factor (accounts/mfa.py).
    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        return mfa.powers_allowed(self) and super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return mfa.powers_allowed(self) and super().has_module_perms(app_label)

    def reset_feed_token(self) -> None:
        self.feed_token = new_feed_token()
        self.save(update_fields=["feed_token"])

    @property
    def closed_address(self) -> str:
        """The address this account gets when it is closed (`accounts.services.delete_account`)."""
        return f"deleted-{self.pk}@{CLOSED_ACCOUNT_DOMAIN}"


class EmailSettingsQuerySet(models.QuerySet["EmailSettings"]):
    def turned_off(self, kind: str) -> "EmailSettingsQuerySet":
        """Rows of the people who turned the email `kind` (a field name) off."""
        return self.filter(**{kind: False})


class EmailSettings(models.Model):
    """Which optional emails a person gets. No row means every one of them (the defaults);
    senders ask `EmailSettings.wants(...)`, or exclude `email_settings__<kind>=False` from a
    queryset of users.
    Forum reply emails (forum.ForumProfile.email_mode) and the newsletter (newsletter.Subscriber)
    keep their own switches; the settings page shows them all (accounts.notifications)."""

    KINDS: ClassVar[dict[str, str]] = {
        "forum_mentions": "Someone mentions you in the forum",
        "group_reminders": "Friday group reminders (a day and an hour before each session)",
        "group_recordings": "A Friday group's recording is up",
        "answer_notices": "Your question has been answered",
        "waitlist_news": "Waitlist news (joined, left, a held seat lapsed)",
    }

    user = models.OneToOneField("User", on_delete=models.CASCADE, related_name="email_settings")
    forum_mentions = models.BooleanField(KINDS["forum_mentions"], default=True)
    group_reminders = models.BooleanField(KINDS["group_reminders"], default=True)
    group_recordings = models.BooleanField(KINDS["group_recordings"], default=True)
    answer_notices = models.BooleanField(KINDS["answer_notices"], default=True)
    waitlist_news = models.BooleanField(KINDS["waitlist_news"], default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EmailSettingsQuerySet.as_manager()

    class Meta:
        verbose_name = "email settings"
        verbose_name_plural = "email settings"

    def __str__(self) -> str:
        return f"email settings of {self.user_id}"

    @classmethod
    def wants(cls, *, kind: str, user_id: int | None = None, email: str = "") -> bool:
        """Whether the account (by id, or by address for people who may have none) gets the
        optional email `kind`. Someone without an account, or without a row, gets it."""
        if kind not in cls.KINDS:
            raise ValueError(f"unknown email kind {kind!r}")
        rows = cls.objects.turned_off(kind)
        if user_id is not None:
            return not rows.filter(user_id=user_id).exists()
        return not rows.filter(user__email__iexact=email).exists()

    @classmethod
    def turn_off(cls, *, user_id: int, kind: str) -> None:
        if kind not in cls.KINDS:
            raise ValueError(f"unknown email kind {kind!r}")
        cls.objects.update_or_create(user_id=user_id, defaults={kind: False})
