import functools

from django import forms, template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

from lib import drafts
from lib.sanitize import safe_html

register = template.Library()

FORM_FIELDS_TEMPLATE = "_form_fields.html"


@register.filter
def sanitized(value: str | None):
    """Render stored rich text: sanitized again with nh3 on the way out."""
    return safe_html(value)


@register.simple_tag
def form_fields(form: forms.BaseForm) -> SafeString:
    """The fields of `form`, as `_form_fields.html` renders them.

    A blank form (unbound, no initial values) of a class that sets
    `blank_html_is_constant = True` — no database choices, nothing that depends on the
    request — looks the same for everyone until the code changes, so its HTML is rendered
    once per process (issue 9: the forum's reply box was 3,000 Python calls a page).
    """
    if (
        not getattr(form, "blank_html_is_constant", False)
        or form.is_bound
        or form.initial
        or settings.DEBUG  # templates reload without a restart while developing
    ):
        return render_fields(form)
    key = (type(form).__qualname__, type(form).__module__, form.prefix, form.auto_id)
    html = BLANK_FORM_FIELDS.get(key)
    if html is None:
        html = BLANK_FORM_FIELDS[key] = render_fields(form)
    return html


BLANK_FORM_FIELDS: dict[tuple, SafeString] = {}


def render_fields(form: forms.BaseForm) -> SafeString:
    return mark_safe(render_to_string(FORM_FIELDS_TEMPLATE, {"form": form}))  # noqa: S308


@register.simple_tag(takes_context=True)
def site_nav(context: template.Context) -> SafeString:
    """The main menu's links in base.html (the sign-out form, with its token, stays there).

    They depend only on the items the user sees (and which is current), whether they are
    signed in and whether they are staff: a handful of combinations, each rendered once per
    process instead of on every request (issue 9).
    """
    user = context.get("user")
    signed_in = bool(getattr(user, "is_authenticated", False))
    items = context.get("nav_items") or ()
    key = (
        tuple((item["label"], item["url"], item["current"]) for item in items),
        signed_in,
        bool(signed_in and getattr(user, "is_staff", False)),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
    )
    if settings.DEBUG:  # templates reload without a restart while developing
        return render_site_nav(key)
    return cached_site_nav(key)


def render_site_nav(key: tuple) -> SafeString:
    items, signed_in, is_staff, _, _ = key
    nav_items = [{"label": label, "url": url, "current": current} for label, url, current in items]
    context = {"nav_items": nav_items, "signed_in": signed_in, "is_staff": is_staff}
    return mark_safe(render_to_string("_site_nav.html", context))  # noqa: S308 - our render


cached_site_nav = functools.lru_cache(maxsize=256)(render_site_nav)


@register.simple_tag(takes_context=True)
def draft_key(context: template.Context, *place: object) -> str:
    """`data-draft-key` of a form whose text the browser keeps until it is saved (lib/drafts.py)."""
    return drafts.key(context["user"], *place)
