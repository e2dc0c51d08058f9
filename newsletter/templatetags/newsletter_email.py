"""`{{ body|as_plain_text }}`: an issue's sanitized HTML as readable plain text, for the
text/plain part of the email (links kept as "text (url)", lists as dashes)."""

from html.parser import HTMLParser

from django import template

from lib.sanitize import clean_html

register = template.Library()

BLOCKS = {"p", "h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "pre", "figure", "table", "tr"}


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "hr":
            self.parts.append("\n\n* * *\n\n")
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.parts.append(f" ({href})")
        elif tag in BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(" ".join(data.split()) if data.strip() else (" " if data else ""))


@register.filter
def as_plain_text(html: str | None) -> str:
    writer = _TextWriter()
    writer.feed(clean_html(html))
    writer.close()
    lines = [line.strip() for line in "".join(writer.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()
