from django import template

from lib.sanitize import safe_html

register = template.Library()


@register.filter
def sanitized(value: str | None):
    """Render stored rich text: sanitized again with nh3 on the way out."""
    return safe_html(value)
