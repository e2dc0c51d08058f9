import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator

from newsletter.models import Issue


class ArchiveFeed(Feed[Issue, None]):
    title = "TIFT — the How Therapy Works newsletter"
    description = "Every two weeks: one idea about how therapy works, and what to do in the room."

    def link(self) -> str:
        return reverse("newsletter:archive")

    def items(self) -> QuerySet[Issue]:
        return Issue.objects.in_archive().order_by("-sent_at")[:20]

    def item_title(self, item: Issue) -> str:
        return f"TIFT #{item.number}: {item.title}"

    def item_description(self, item: Issue) -> str:
        return Truncator(strip_tags(item.body)).words(60)

    def item_pubdate(self, item: Issue) -> dt.datetime | None:
        return item.sent_at
