"""The courses app's models, in modules named for what they hold; every name is importable
from `courses.models` as before (migrations refer to `courses.models.new_offer_token`)."""

from courses.models.access import (
    access_grants,
    enrolled_course_ids,
    granted_cohort_ids,
    granted_course_ids,
    granted_runs,
    has_course_access,
    is_member,
    is_program_staff,
)
from courses.models.catalog import (
    Cohort,
    CohortQuerySet,
    Course,
    CourseQuerySet,
    FaqItem,
    SeatCounts,
    Testimonial,
    aggregate_of,
    count_of,
)
from courses.models.enrolment import (
    Enrollment,
    EnrollmentQuerySet,
    Payment,
    SeatHold,
    SeatHoldQuerySet,
    StripeEvent,
)
from courses.models.waitlist import (
    FinancialAidRequest,
    Offer,
    OfferQuerySet,
    WaitlistEntry,
    new_leave_token,
    new_offer_token,
)

__all__ = [
    "Cohort",
    "CohortQuerySet",
    "Course",
    "CourseQuerySet",
    "Enrollment",
    "EnrollmentQuerySet",
    "FaqItem",
    "FinancialAidRequest",
    "Offer",
    "OfferQuerySet",
    "Payment",
    "SeatCounts",
    "SeatHold",
    "SeatHoldQuerySet",
    "StripeEvent",
    "Testimonial",
    "WaitlistEntry",
    "access_grants",
    "aggregate_of",
    "count_of",
    "enrolled_course_ids",
    "granted_cohort_ids",
    "granted_course_ids",
    "granted_runs",
    "has_course_access",
    "is_member",
    "is_program_staff",
    "new_leave_token",
    "new_offer_token",
]
