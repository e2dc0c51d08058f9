"""Friday groups' part of the data export and account erasure (see accounts/privacy.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User
from accounts.privacy import iso
from zoomgroups import zoom_sync
from zoomgroups.models import RSVP, Attendance, AttendanceCorrection, ReminderSent

DELETION_PLAN = {
    "zoomgroups.RSVP.user": "erased",
    "zoomgroups.Attendance.user": "erased",
    "zoomgroups.ReminderSent.user": "erased",
    "zoomgroups.AttendanceCorrection.user": "erased",
    "zoomgroups.ZoomRegistrant.user": "erased, and cancelled in Zoom",
}


def export(user: User) -> dict[str, Any]:
    return {
        "friday_groups": {
            "rsvps": [
                {
                    "session": str(r.session),
                    "starts_at": iso(r.session.starts_at),
                    "response": r.response,
                }
                for r in RSVP.objects.filter(user=user).select_related("session__cohort__course")
            ],
            "attended": [
                {"session": str(a.session), "starts_at": iso(a.session.starts_at)}
                for a in Attendance.objects.filter(user=user).select_related(
                    "session__cohort__course"
                )
            ],
        },
    }


def erase(user: User, *, keep_posts: bool) -> None:
    RSVP.objects.filter(user=user).delete()
    Attendance.objects.filter(user=user).delete()
    ReminderSent.objects.filter(user=user).delete()
    AttendanceCorrection.objects.filter(user=user).delete()
    # Before accounts anonymises the address: Zoom is told whose registration to cancel.
    zoom_sync.forget_registrations(user_id=user.pk)
