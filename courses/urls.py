from django.urls import path

from courses.views import catalog, enrolment

app_name = "courses"

urlpatterns = [
    path("dashboard/", catalog.dashboard, name="dashboard"),
    path("courses/<slug:slug>/", catalog.course, name="course"),
    path("enrol/<int:cohort_id>/", enrolment.enrol, name="enrol"),
    path("enrol/<int:cohort_id>/success/", enrolment.enrol_success, name="enrol_success"),
    path("enrol/<int:cohort_id>/cancelled/", enrolment.enrol_cancelled, name="enrol_cancelled"),
    path("enrol/<int:cohort_id>/enrolled/", enrolment.enrolled, name="enrolled"),
    path("waitlist/<slug:course_slug>/", enrolment.waitlist, name="waitlist"),
    path("waitlist/<slug:course_slug>/thanks/", enrolment.waitlist_thanks, name="waitlist_thanks"),
    path("waitlist/<slug:course_slug>/<slug:cohort_slug>/", enrolment.waitlist, name="waitlist"),
    # Secret tokens (here and in offer/) are URL-safe base64, so slugs: anything else, a NUL
    # byte say, is a 404 before it reaches the database (which refuses NUL with an error).
    path("leave-waitlist/<token:token>/", enrolment.waitlist_leave, name="waitlist_leave"),
    path("financial-aid/<slug:course_slug>/", enrolment.aid_request, name="aid_request"),
    path("financial-aid/<slug:course_slug>/thanks/", enrolment.aid_thanks, name="aid_thanks"),
    path("offer/<token:token>/", enrolment.offer, name="offer"),
    path("stripe/webhook/", enrolment.stripe_webhook, name="stripe_webhook"),
]
