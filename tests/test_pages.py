"""Site-wide pages: layout, navigation, error pages."""

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["home", "privacy", "contact", "account_login", "account_signup"])
def test_public_pages_render_with_the_site_layout(client, name):
    response = client.get(reverse(name))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a class="skip-link" href="#main">' in html
    assert 'name="viewport"' in html
    assert f'<a class="brand" href="{reverse("home")}">' in html
    assert f'<li><a href="{reverse("privacy")}">Privacy</a></li>' in html
    assert f'<li><a href="{reverse("contact")}">Contact</a></li>' in html


def test_visitor_navigation_offers_sign_in_not_member_pages(client):
    html = client.get(reverse("home")).content.decode()
    assert reverse("account_login") in html
    assert reverse("courses:dashboard") not in html
    assert "Staff admin" not in html


def test_learner_navigation_has_dashboard_and_marks_the_current_page(client_for, learner):
    html = client_for(learner).get(reverse("courses:dashboard")).content.decode()
    assert f'href="{reverse("courses:dashboard")}" aria-current="page"' in html
    assert "Sign out" in html
    assert f'<form method="post" action="{reverse("account_logout")}"' in html
    assert "Staff admin" not in html


def test_library_and_forum_links_only_for_those_who_may_open_them(client_for, learner):
    library, forum = reverse("qa:library"), reverse("forum:index")
    html = client_for(learner).get(reverse("home")).content.decode()
    assert f'href="{library}"' in html and f'href="{forum}"' in html

    stranger = factories.make_user("not-enrolled@example.com")
    client = client_for(stranger)
    html = client.get(reverse("home")).content.decode()
    assert f'href="{library}"' not in html and f'href="{forum}"' not in html
    assert f'href="{reverse("courses:dashboard")}"' in html
    # The links are hidden because those pages are locked to a signed-in non-learner: they
    # answer with the page that says why and how to enrol.
    assert client.get(forum).status_code == 403


def test_staff_navigation_links_to_the_admin(client_for, staff):
    assert "Staff admin" in client_for(staff).get(reverse("home")).content.decode()


def test_the_menu_fits_each_person(client_for, staff, learner):
    """The menu (`{% site_nav %}`) differs by links, sign-in and staff."""
    home, dashboard = reverse("home"), reverse("courses:dashboard")
    assert "Staff admin" in client_for(staff).get(home).content.decode()

    html = client_for(learner).get(home).content.decode()
    assert "Staff admin" not in html
    assert f'href="{dashboard}">Dashboard</a>' in html
    on_dashboard = client_for(learner).get(dashboard).content.decode()
    assert f'href="{dashboard}" aria-current="page"' in on_dashboard

    visitor = Client().get(home).content.decode()
    assert "Sign out" not in visitor and reverse("account_login") in visitor
    assert dashboard not in visitor


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "We can't find that page" in response.content.decode()


def test_messages_are_announced_to_screen_readers(client_for, learner):
    response = client_for(learner).post(
        reverse("accounts:profile"),
        {"display_name": "Lee", "credentials": "", "time_zone": "UTC", "bio": ""},
        follow=True,
    )
    assert 'role="status" aria-live="polite"' in response.content.decode()


def test_the_menu_folds_behind_a_button_that_says_what_it_opens(client_for, learner):
    """On a phone the menu is a disclosure (static/js/site.js): a real button, hidden until the
    script shows it, that names the menu it opens and says whether it is open."""
    html = client_for(learner).get(reverse("courses:dashboard")).content.decode()

    assert (
        '<button type="button" class="menu-toggle" aria-expanded="false" '
        'aria-controls="site-menu" hidden>'
    ) in html
    menu = html[html.index('<div class="site-menu" id="site-menu">') :]
    assert menu.index('<nav aria-label="Main"') < menu.index("Sign out") < menu.index("</nav>")
    assert 'document.documentElement.classList.add("js")' in html  # folded before painting
