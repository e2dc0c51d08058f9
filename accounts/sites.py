"""The Sites record (allauth names it in its emails) follows SITE_URL and SITE_NAME.

Django creates it as "example.com"; after every migrate it takes the configured host and
name, so an email never says "register an account on example.com" (or on ".").
"""

from urllib.parse import urlparse

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_migrate


def sync_site(**kwargs: object) -> None:
    from django.contrib.sites.models import Site

    domain = urlparse(settings.SITE_URL).netloc or "127.0.0.1:8000"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()


def connect() -> None:
    post_migrate.connect(
        sync_site, sender=apps.get_app_config("sites"), dispatch_uid="accounts.sites.sync_site"
    )
