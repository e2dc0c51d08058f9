"""Video links from an allowlist of providers, turned into privacy-friendly embed URLs.

Only these providers are embedded; anything else is refused when a lesson is saved, so a
page never frames an arbitrary site. YouTube is embedded from youtube-nocookie.com and Vimeo
with `dnt=1`, so neither sets tracking cookies before the learner presses play.
"""

import re
from urllib.parse import parse_qs, quote, urlparse

from django.conf import settings

YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^\d{6,12}$")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}
YOUTUBE_HOSTS |= {"www.youtube-nocookie.com"}
VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}

PROVIDERS = "YouTube or Vimeo"
# Origins the lesson page frames; a Content-Security-Policy needs them in frame-src.
FRAME_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


def _youtube_id(host: str, path: str, query: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    if host == "youtu.be":
        candidate = parts[0] if parts else ""
    elif host in YOUTUBE_HOSTS:
        if parts[:1] == ["watch"]:
            candidate = parse_qs(query).get("v", [""])[0]
        elif len(parts) >= 2 and parts[0] in {"embed", "shorts", "live", "v"}:
            candidate = parts[1]
        else:
            return None
    else:
        return None
    return candidate if YOUTUBE_ID.match(candidate) else None


def _vimeo_id(host: str, path: str) -> str | None:
    if host not in VIMEO_HOSTS:
        return None
    parts = [p for p in path.split("/") if p]
    if host == "player.vimeo.com":
        parts = parts[1:] if parts[:1] == ["video"] else []
    candidate = parts[0] if parts else ""
    return candidate if VIMEO_ID.match(candidate) else None


def embed_url(url: str) -> str | None:
    """The embed URL for a supported video page or player URL; None for anything else."""
    try:
        parsed = urlparse((url or "").strip())
    except ValueError:
        return None
    if parsed.scheme not in {"http", "https"}:
        return None
    host = (parsed.hostname or "").lower()
    if video_id := _youtube_id(host, parsed.path, parsed.query):
        return f"https://www.youtube-nocookie.com/embed/{video_id}?rel=0"
    if video_id := _vimeo_id(host, parsed.path):
        return f"https://player.vimeo.com/video/{video_id}?dnt=1"
    return None


def with_player_events(embed: str) -> str:
    """An embed URL whose player tells the page (by postMessage) when the video ends.

    Vimeo's player always does; YouTube's only with its JS API switched on, and YouTube asks
    for the embedding site's origin alongside. lesson.js listens for it to record the video.
    """
    if embed.startswith("https://www.youtube-nocookie.com/"):
        return f"{embed}&enablejsapi=1&origin={quote(settings.SITE_URL, safe='')}"
    return embed
