"""Post bodies to HTML: Markdown or plain text, then nh3 with the forum's own, stricter allowlist.

Posts are rendered once when saved (`Post.html`) and sanitized again on output (`post_html`).
The allowlist has no images (no tracking pixels, nothing loaded from elsewhere) and no raw
attributes beyond links; @mentions become `<span class="mention">`, never a link: a member's
page would be something private to link to.
"""

import re
from collections.abc import Iterable
from html import unescape

import markdown
import nh3
from django.utils.html import linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "p", "br", "strong", "b", "em", "i", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "hr", "h3", "h4", "h5", "span",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
CLASSES = {"span": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}

HANDLE = r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?"
MENTION = re.compile(rf"(?<![\w@/.-])@({HANDLE})(?![\w-])", re.IGNORECASE)
# Headings in a post are demoted below the page's own h1/h2.
HEADING = re.compile(r"<(/?)h([12])>")


def clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        allowed_classes=CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow ugc",
    )


def post_html(stored: str) -> SafeString:
    """Stored post HTML for a template: sanitized again on the way out."""
    return mark_safe(clean(stored))  # noqa: S308 - just sanitized by nh3


def find_mentions(body: str) -> list[str]:
    """Handles mentioned in `body`, lower-cased, in order, without repeats (at most 10)."""
    seen: list[str] = []
    for match in MENTION.finditer(body):
        handle = match.group(1).lower()
        if handle not in seen:
            seen.append(handle)
    return seen[:10]


def _text_parts(html: str) -> tuple[list[str], list[int]]:
    """`html` split into tags and text, and the indexes of the text outside code, pre and
    links: where a mention is a mention."""
    parts = re.split(r"(<[^>]+>)", html)
    depth = 0
    prose: list[int] = []
    for i, part in enumerate(parts):
        if part.startswith("<"):
            tag = re.match(r"</?\s*(\w+)", part)
            if tag and tag.group(1).lower() in {"code", "pre", "a"}:
                depth += -1 if part.startswith("</") else 1
        elif depth == 0:
            prose.append(i)
    return parts, prose


def _mark_mentions(html: str, handles: Iterable[str]) -> str:
    """Wrap known @handles found in text (outside code, pre and links) in a span."""
    known = {h.lower() for h in handles}
    if not known:
        return html
    parts, prose = _text_parts(html)
    for i in prose:
        parts[i] = MENTION.sub(
            lambda m: (
                f'<span class="mention">@{m.group(1).lower()}</span>'
                if m.group(1).lower() in known
                else m.group(0)
            ),
            parts[i],
        )
    return "".join(parts)


def mentions_shown(body: str, fmt: str) -> list[str]:
    """The handles a post of `body` would show as mentions: in its text as the page shows it,
    not in code, links or anything the sanitizer removes (lower-cased, in order, at most 10)."""
    parts, prose = _text_parts(render_body(body, fmt))
    return find_mentions(" ".join(unescape(parts[i]) for i in prose))


def render_body(body: str, fmt: str, *, handles: Iterable[str] = ()) -> str:
    """The sanitized HTML of a post body. `handles` are the @mentions to mark."""
    if fmt == "plain":
        html = linebreaks(urlize(body, nofollow=True, autoescape=True), autoescape=False)
    else:
        html = markdown.markdown(
            body, extensions=["fenced_code", "sane_lists", "nl2br"], output_format="html"
        )
        html = HEADING.sub(lambda m: f"<{m.group(1)}h{int(m.group(2)) + 2}>", html)
    return clean(_mark_mentions(clean(html), handles))


def quote_markdown(body: str, author_name: str) -> str:
    """A Markdown blockquote of `body` with an attribution line, for the composer."""
    lines = [f"> **{author_name}** wrote:", ">"]
    lines += [f"> {line}" if line.strip() else ">" for line in body.strip().splitlines()]
    return "\n".join(lines) + "\n\n"
