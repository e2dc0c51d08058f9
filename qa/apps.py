from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_save


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Questions & answers"

    def ready(self) -> None:
        from qa.browse import library_changed
        from qa.models import LibraryEntry

        # The library's cached browse counts (qa/browse.py) follow every change to what they
        # count: an entry saved (published, withdrawn) or deleted, or filed under other
        # topics or lessons, from either side of the link.
        uid = "qa-library-counts"
        post_save.connect(library_changed, sender=LibraryEntry, dispatch_uid=uid)
        post_delete.connect(library_changed, sender=LibraryEntry, dispatch_uid=uid)
        for through in (LibraryEntry.topics.through, LibraryEntry.lessons.through):
            m2m_changed.connect(library_changed, sender=through, dispatch_uid=f"{uid}-{through}")
