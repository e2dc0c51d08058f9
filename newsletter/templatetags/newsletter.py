"""Template tags that make TIFT's partials self-sufficient, so pages owned by other apps can
`{% include %}` them without their views passing anything:

- `{% tift_subscriber as subscriber %}`: the signed-in person's reader row (by account email).
- `{% tift_signup_form as form %}`: the page's bound signup form if it has one, else a new one.
"""

from django import template

from newsletter.forms import SignupForm
from newsletter.models import Subscriber

register = template.Library()


@register.simple_tag(takes_context=True)
def tift_subscriber(context: template.Context) -> Subscriber | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return Subscriber.objects.filter(email=user.email.lower()).first()


@register.simple_tag(takes_context=True)
def tift_signup_form(context: template.Context) -> SignupForm:
    form: SignupForm = context.get("signup_form") or SignupForm()
    return form
