"""Newsletter issues being sent, for the admin index's "Needs attention" panel."""

from django import template

from newsletter.models import Issue

register = template.Library()


@register.simple_tag(takes_context=True)
def issues_sending(context) -> list[Issue] | None:
    """Issues whose sending has started and not finished (one query); None for those who may
    not view issues."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.has_perm("newsletter.view_issue"):
        return None
    return list(
        Issue.objects.filter(status=Issue.Status.SENDING)
        .only("pk", "number", "title", "recipients_total", "sent_count", "failed_count")
        .order_by("number")
    )
