"""The courses app's admin pages, in modules named for what they hold; importing them
registers them."""

from courses.admin import catalog, enrolment, waitlist

__all__ = ["catalog", "enrolment", "waitlist"]
