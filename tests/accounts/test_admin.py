import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts import roles
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_staff_roles_exist_with_permissions():
    instructor = Group.objects.get(name=roles.INSTRUCTOR)
    staff = Group.objects.get(name=roles.STAFF)
    assert instructor.permissions.filter(codename="change_course").exists()
    assert staff.permissions.filter(codename="change_enrollment").exists()
    assert not instructor.permissions.filter(codename="delete_enrollment").exists()


def test_every_role_permission_exists():
    """A codename in ROLE_PERMISSIONS that matches no permission is a typo."""
    from django.contrib.auth.models import Permission

    for codenames in roles.ROLE_PERMISSIONS.values():
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            assert Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).exists(), dotted


def test_admin_login_goes_through_the_site_sign_in(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_admin_is_branded_for_staff(client_for, staff):
    html = client_for(staff).get(reverse("admin:index")).content.decode()
    assert "How Therapy Works — staff" in html


def test_learner_cannot_open_the_admin(client_for, learner):
    response = client_for(learner).get(reverse("admin:index"))
    assert response.status_code in (302, 403)
    assert "Program administration" not in response.content.decode()


def test_staff_can_search_people(client_for, staff, learner):
    response = client_for(staff).get(reverse("admin:accounts_user_changelist"), {"q": "Lee"})
    assert response.status_code == 200
    assert learner.email in response.content.decode()


def test_seed_demo_is_idempotent_and_prints_logins(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = User.objects.count(), Group.objects.count()
    call_command("seed_demo")
    assert (User.objects.count(), Group.objects.count()) == counts
    out = capsys.readouterr().out
    assert "learner@demo.test" in out and "demo-learner" in out


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.filter(email="learner@demo.test").exists()


def test_demo_accounts_can_sign_in(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    response = client.post(
        reverse("account_login"), {"login": "learner@demo.test", "password": "demo-learner"}
    )
    assert response.status_code == 302
    assert client.get(reverse("courses:dashboard")).status_code == 200
