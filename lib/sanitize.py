"""HTML sanitizing with nh3, for every piece of HTML a user or staff member supplies.

`clean_html` is applied when rich text is saved and again when it is rendered, so stored HTML
from any source (admin, imports, older rows) reaches a page only in its allowed form.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "code", "pre",
    "h2", "h3", "h4", "blockquote", "ul", "ol", "li", "a", "hr", "img",
    "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}


# The rules above, compiled once: nh3 builds its sanitizer from them on every `nh3.clean` call.
CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    link_rel="noopener noreferrer nofollow",
)


def clean_html(html: str | None) -> str:
    if not html:
        return ""
    return CLEANER.clean(html)


def safe_html(html: str | None) -> SafeString:
    """Sanitize, then mark safe for a template."""
    return mark_safe(clean_html(html))  # noqa: S308 - sanitized by nh3
