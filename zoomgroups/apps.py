from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks


class ZoomgroupsConfig(AppConfig):
    name = "zoomgroups"
    verbose_name = "Friday groups"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from courses.models import Enrollment

        checks.register(check_session_limit)
        # The one hook into enrolment (issue 26): a new, refunded or cancelled enrolment
        # brings the Zoom registrants of the run's upcoming sessions in line (nothing without
        # Zoom credentials). The outbox runs it after the enrolment commits.
        post_save.connect(enrolment_saved, sender=Enrollment, dispatch_uid="zoomgroups-enrolment")


def enrolment_saved(sender, instance, raw: bool = False, **kwargs) -> None:
    from zoomgroups.zoom_sync import queue_registrant_syncs

    if not raw:
        queue_registrant_syncs(cohort_id=instance.cohort_id)


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
