from django import template
from django.utils.safestring import SafeString

from forum.rendering import post_html as render_post_html

register = template.Library()


@register.filter
def post_html(value: str | None) -> SafeString:
    """A post's stored HTML, sanitized again with the forum allowlist on the way out."""
    return render_post_html(value or "")
