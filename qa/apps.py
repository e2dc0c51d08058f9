from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

# Bumped whenever a topic, lesson or course is saved or deleted: the library's cached browse
# counts (qa.views.browse_counts) show their names and order, so this is part of their key.
LIBRARY_NAMES_KEY = "qa:library-browse-names"


def library_names_changed(**kwargs) -> None:
    from lib.fragments import bump

    bump(LIBRARY_NAMES_KEY)


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Questions & answers"

    def ready(self) -> None:
        for sender in ("qa.Topic", "lessons.Lesson", "courses.Course"):
            uid = f"qa-library-names-{sender}"
            post_save.connect(library_names_changed, sender=sender, dispatch_uid=uid)
            post_delete.connect(library_names_changed, sender=sender, dispatch_uid=uid)
