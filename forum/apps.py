from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

# Part of the key of every cached forum search page (forum.views.search): bumped whenever a
# post, topic or category is saved or deleted, and by the services and admin actions that
# change them with UPDATE (hiding, restoring, indexing a post for search).
SEARCH_GENERATION_KEY = "forum:search-generation"


def search_results_changed(**kwargs) -> None:
    """Retire the cached search pages now, and again when the change commits: a search that
    ran in between, on the data before it, would otherwise stay cached as current."""
    from django.db import transaction

    from lib.fragments import bump

    bump(SEARCH_GENERATION_KEY)
    transaction.on_commit(lambda: bump(SEARCH_GENERATION_KEY))


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = "Learner Exchange Forum"

    def ready(self) -> None:
        for sender in ("forum.Post", "forum.Topic", "forum.Category"):
            uid = f"forum-search-generation-{sender}"
            post_save.connect(search_results_changed, sender=sender, dispatch_uid=uid)
            post_delete.connect(search_results_changed, sender=sender, dispatch_uid=uid)
