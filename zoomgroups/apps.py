from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks


class ZoomgroupsConfig(AppConfig):
    name = "zoomgroups"
    verbose_name = "Friday groups"

    def ready(self) -> None:
        checks.register(check_session_limit)


def check_session_limit(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    from django.conf import settings

    from zoomgroups.models import SLOT_CEILING

    limit = settings.ZOOMGROUPS_MAX_PER_COHORT
    if 1 <= limit <= SLOT_CEILING:
        return []
    return [
        checks.Error(
            f"ZOOMGROUPS_MAX_PER_COHORT is {limit}; it must be between 1 and {SLOT_CEILING}.",
            hint="Above that, raise SLOT_CEILING in zoomgroups/models.py and add a migration.",
            id="zoomgroups.E001",
        )
    ]
