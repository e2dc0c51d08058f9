from typing import Any

from django import template
from django.db.models import Model

from bookmarks.models import KINDS, Bookmark

register = template.Library()


@register.inclusion_tag("bookmarks/_save_form.html", takes_context=True)
def save_for_later(context: dict[str, Any], kind: str, target: Model) -> dict[str, Any]:
    """The "Save for later" / "Saved ✓ · remove" form for `target` on its own page (one
    query). The page has already checked that the person may see `target`."""
    request = context["request"]
    saved = Bookmark.objects.filter(user=request.user, **{KINDS[kind][0]: target}).exists()
    return {
        "kind": kind,
        "target": target,
        "saved": saved,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
