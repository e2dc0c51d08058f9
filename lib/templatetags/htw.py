import datetime as dt
from typing import Any

from django import forms, template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from lib import drafts
from lib.sanitize import safe_html

register = template.Library()

FORM_FIELDS_TEMPLATE = "_form_fields.html"


@register.filter
def sanitized(value: str | None) -> SafeString:
    """Render stored rich text: sanitized again with nh3 on the way out."""
    return safe_html(value)


@register.filter(expects_localtime=True)
def iso_datetime(value: dt.datetime | None) -> str:
    """A <time datetime> value: ISO 8601 to the second. (`date:'c'` adds microseconds when
    there are any, and HTML allows at most three digits of a second's fraction.)"""
    return value.replace(microsecond=0).isoformat() if value else ""


@register.simple_tag
def form_fields(form: forms.BaseForm) -> SafeString:
    """The fields of `form`, as `_form_fields.html` renders them."""
    return mark_safe(render_to_string(FORM_FIELDS_TEMPLATE, {"form": form}))  # noqa: S308


@register.inclusion_tag("_site_nav.html", takes_context=True)
def site_nav(context: template.Context) -> dict[str, Any]:
    """The main menu's links in base.html (the sign-out form, with its token, stays there)."""
    user = context.get("user")
    signed_in = bool(getattr(user, "is_authenticated", False))
    return {
        "nav_items": context.get("nav_items") or (),
        "signed_in": signed_in,
        "is_staff": bool(signed_in and getattr(user, "is_staff", False)),
    }


@register.simple_tag(takes_context=True)
def draft_key(context: template.Context, *place: object) -> str:
    """`data-draft-key` of a form whose text the browser keeps until it is saved (lib/drafts.py)."""
    return drafts.key(context["user"], *place)
