import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from courses import payments, services

UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str) -> dt.timedelta:
    """How far back to look, from "3d", "12h" or "90m"."""
    match = re.fullmatch(r"(\d{1,4})([mhd])", value.strip())
    if not match:
        raise CommandError(f"--since takes a number and m, h or d, like 3d; got {value!r}")
    return dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Ask Stripe what happened since --since (its events and Checkout Sessions) and apply "
        "what the site missed, through the webhook's own idempotent code. Run it after an "
        "outage of the webhook; beat runs it daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="3d", help="how far back: 3d (default), 12h, 90m")

    def handle(self, *args: Any, **options: Any) -> None:
        since = timezone.now() - parse_since(options["since"])
        if not payments.is_enabled():
            raise CommandError("Stripe is not configured (STRIPE_SECRET_KEY is empty).")
        try:
            lines, failed = services.reconcile_stripe(since=since)
        except payments.PaymentError as exc:
            raise CommandError(f"Could not list from Stripe: {exc}") from exc
        for line in lines:
            self.stdout.write(line)
        summary = f"Reconciled with Stripe since {since:%Y-%m-%d %H:%M} UTC: {len(lines)} applied"
        if failed:
            self.stdout.write(self.style.WARNING(f"{summary}, {failed} failed (see the log)."))
        else:
            self.stdout.write(self.style.SUCCESS(f"{summary}."))
