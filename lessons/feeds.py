"""The learner's private podcast feed: RSS 2.0 with the iTunes tags podcast apps expect.

The URL carries the learner's `feed_token` (reset from the profile page); the episodes' audio
URLs carry it too, so a podcast app needs no session. The feed is marked `itunes:block` so
directories never list it.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator

from accounts.models import User
from courses.models import Course
from lessons.models import Lesson

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


class ITunesFeed(Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:itunes": ITUNES_NS}

    def add_root_elements(self, handler: SimplerXMLGenerator) -> None:
        super().add_root_elements(handler)
        handler.addQuickElement("itunes:author", self.feed["itunes_author"])
        handler.addQuickElement("itunes:image", None, {"href": self.feed["itunes_image"]})
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:block", "Yes")
        handler.addQuickElement("itunes:type", "serial")
        handler.addQuickElement("itunes:category", None, {"text": "Education"})

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("itunes:author", self.feed["itunes_author"])
        if item.get("itunes_duration"):
            handler.addQuickElement("itunes:duration", item["itunes_duration"])
        handler.addQuickElement("itunes:explicit", "false")
        handler.addQuickElement("itunes:episode", str(item["itunes_episode"]))
        handler.addQuickElement("itunes:season", str(item["itunes_season"]))


class PodcastFeed(Feed[Lesson, User]):
    feed_type = ITunesFeed
    author = "How Therapy Works"
    description = (
        "The podcast episodes of your How Therapy Works lessons. This feed is private to you: "
        "please do not share its address."
    )

    def __init__(self, request: HttpRequest, token: str) -> None:
        # One instance per request (see `lessons.views.podcast_feed`): items need the request.
        super().__init__()
        self.request = request
        self.token = token

    def get_object(self, request: HttpRequest, token: str) -> User:
        user = User.objects.filter(feed_token=token, is_active=True).first()
        if user is None or not Course.objects.accessible_to(user).exists():
            raise Http404("No such feed.")
        return user

    def title(self, obj: User) -> str:
        return "How Therapy Works — lessons"

    def link(self, obj: User) -> str:
        return self.request.build_absolute_uri(reverse("courses:dashboard"))

    def feed_url(self, obj: User) -> str:
        return self.request.build_absolute_uri()

    def feed_extra_kwargs(self, obj: User) -> dict[str, Any]:
        return {
            "itunes_author": self.author,
            "itunes_image": self.request.build_absolute_uri(static("lessons/podcast-cover.png")),
        }

    def items(self, obj: User) -> QuerySet[Lesson]:
        return (
            Lesson.objects.in_feed_of(obj)
            .with_podcast()
            .select_related("course")
            .order_by("course__order", "course__number", "order", "id")
        )

    def item_title(self, item: Lesson) -> str:
        return f"T{item.course.number} · {item.order}. {item.title}"

    def item_description(self, item: Lesson) -> str:
        return item.summary

    def item_link(self, item: Lesson) -> str:
        return self.request.build_absolute_uri(item.get_absolute_url())

    def item_guid(self, item: Lesson) -> str:
        """For life: podcast apps tell episodes apart by it. The form of the URL-based guids
        published before, on a fixed host (settings.STABLE_ID_DOMAIN), not SITE_URL's."""
        return f"https://{settings.STABLE_ID_DOMAIN}/lessons/{item.pk}/podcast"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Lesson) -> dt.datetime:
        return item.podcast_published_at or item.created_at

    def item_enclosures(self, item: Lesson) -> list[Enclosure]:
        if item.podcast_file:
            url = self.request.build_absolute_uri(
                reverse(
                    "lessons:podcast_audio",
                    kwargs={"token": self.token, "pk": item.pk},
                )
            )
        else:
            url = item.podcast_url
        return [Enclosure(url, str(item.podcast_bytes or 0), item.podcast_mime_type)]

    def item_extra_kwargs(self, item: Lesson) -> dict[str, Any]:
        return {
            "itunes_duration": item.podcast_itunes_duration,
            "itunes_episode": item.order,
            "itunes_season": item.course.number,
        }
