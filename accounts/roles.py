"""The staff roles and what each may do in the admin.

Groups are created by a data migration; their permissions are (re)applied after every
migrate, because the permission rows of later apps only exist once those apps have migrated.
Each app adds the codenames its roles need here.
"""

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db.models.signals import post_migrate

INSTRUCTOR = "Instructor"
STAFF = "Staff"


def model_perms(app_label: str, *models: str, actions: str = "add change delete view") -> list[str]:
    return [f"{app_label}.{action}_{model}" for model in models for action in actions.split()]


FORUM_PERMS = [
    *model_perms(
        "forum", "category", "circlemembership", "topic", "post", "report", "forumprofile"
    ),
    *model_perms("forum", "subscription", actions="view delete"),
]

ZOOMGROUPS_PERMS = [
    *model_perms("zoomgroups", "groupsession", "attendance", "rsvp"),
    *model_perms("zoomgroups", "remindersent", actions="view"),
]

# Continuing education: hours, sponsor statements, post-tests and evaluations; certificates are
# issued by the site and only revoked or reissued (with a reason) by staff.
CE_PERMS = [
    *model_perms(
        "ce", "coursecredit", "lessonhours", "sessionhours", "posttest", "posttestquestion",
        "posttestchoice", "evaluationquestion",
    ),
    *model_perms("ce", "posttestresult", "evaluationresponse", actions="view"),
    *model_perms("ce", "certificate", actions="view change"),
]  # fmt: skip

# Outgoing email: what was sent, what waits, what failed, and "Send again".
OUTBOX_PERMS = model_perms("outbox", "message", actions="view change")

# Contact-form messages: read them, set their status, delete spam.
CONTACT_PERMS = model_perms("contact", "contactmessage", actions="view change delete")

ROLE_PERMISSIONS: dict[str, list[str]] = {
    INSTRUCTOR: [
        "accounts.view_user",
        *model_perms("courses", "course", "faqitem", "testimonial"),
        *model_perms("courses", "cohort", "enrollment", actions="view"),
        *model_perms(
            "courses",
            *("seathold", "waitlistentry", "offer", "financialaidrequest", "stripeevent"),
            "payment",
            actions="view",
        ),
        # Lessons: the instructor writes them and sees how far learners got.
        *model_perms("lessons", "lesson"),
        *model_perms("lessons", "progress", actions="view"),
        # Q&A: the instructor reads and answers every question and edits the library.
        *model_perms("qa", "question", "answer", "reply", "libraryentry", "topic"),
        # TIFT: the instructor writes and schedules issues and sees how a send went.
        *model_perms("newsletter", "issue", "infographic"),
        *model_perms("newsletter", "delivery", actions="view"),
        # Forum: the instructor moderates too (categories, circles, reports, suspensions).
        *FORUM_PERMS,
        # Friday groups: the instructor leads them, schedules, posts recordings, marks attendance.
        *ZOOMGROUPS_PERMS,
        *CE_PERMS,
        *OUTBOX_PERMS,
        *CONTACT_PERMS,
    ],
    STAFF: [
        "accounts.view_user",
        "accounts.change_user",
        *model_perms("courses", "course", "cohort", "enrollment", "faqitem", "testimonial"),
        *model_perms(
            "courses", "seathold", "waitlistentry", "offer", "financialaidrequest", "stripeevent"
        ),
        "courses.view_payment",
        # Lessons: staff read them (to answer learners) and follow completion per run.
        *model_perms("lessons", "lesson", "progress", actions="view"),
        # Q&A: the published library only. Questions are private to the asker and the
        # instructor; publishing needs the instructor's de-identification judgement.
        *model_perms("qa", "libraryentry", "topic", actions="view"),
        # TIFT: issues, the reader list (import, export) and the welcome infographic.
        *model_perms("newsletter", "issue", "subscriber", "infographic"),
        *model_perms("newsletter", "delivery", actions="view"),
        # Forum: categories and circle membership, moderation of topics, posts and reports,
        # members' forum settings (suspension).
        *FORUM_PERMS,
        # Friday groups: scheduling, recordings and attendance.
        *ZOOMGROUPS_PERMS,
        *CE_PERMS,
        # Outgoing email (Q&A notices only to those who may read questions: outbox.models).
        *OUTBOX_PERMS,
        *CONTACT_PERMS,
    ],
}


def sync_role_permissions(apps: Apps = global_apps, **kwargs: object) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in codenames:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.add(*wanted)


def connect() -> None:
    post_migrate.connect(sync_role_permissions, dispatch_uid="accounts.sync_role_permissions")


def staff_emails_with(permission: str) -> list[str]:
    """The addresses of active staff who hold `permission` ("app_label.codename") through a
    role or directly, and of superusers; the contact inbox if there are none."""
    from django.conf import settings
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    from accounts.models import User

    app_label, codename = permission.split(".", 1)
    perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    emails = (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True) | Q(user_permissions__in=perm) | Q(groups__permissions__in=perm)
        )
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(emails) or [settings.CONTACT_EMAIL]
