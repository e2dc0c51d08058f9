"""The coaching-and-mentoring page (linked from the footer and the newsletter's emails, its
inquiry through the contact form) and the textbook link staff set on a course."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contact.models import ContactMessage
from newsletter import sending, subscriptions
from newsletter.models import Issue, Subscriber
from tests import factories

pytestmark = pytest.mark.django_db

BOOK = "https://books.example/how-therapy-works"


def test_the_coaching_page_says_what_it_is_and_who_it_is_for(client):
    response = client.get(reverse("coaching"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Coaching and mentoring</h1>" in html
    assert 'id="what"' in html and 'id="who"' in html


def test_the_coaching_page_asks_through_the_contact_form_with_its_topic_chosen(client):
    html = client.get(reverse("coaching")).content.decode()
    link = f"{reverse('contact')}?topic=coaching#contact-form"
    assert f'href="{link}"' in html

    form = client.get(link).content.decode()
    assert '<option value="coaching" selected>' in form

    client.post(
        reverse("contact"),
        {"name": "Cal", "email": "cal@example.com", "topic": "coaching", "message": "Hello."},
    )
    assert ContactMessage.objects.get().topic == ContactMessage.Topic.COACHING


@pytest.mark.parametrize("name", ["home", "privacy", "contact", "coaching"])
def test_every_page_links_coaching_in_the_footer(client, name):
    html = client.get(reverse(name)).content.decode()
    footer = html.split('<footer class="site-footer">')[1]

    assert f'<a href="{reverse("coaching")}">Coaching and mentoring</a>' in footer


def test_a_newsletter_issue_links_the_coaching_page_in_both_parts(settings):
    issue = Issue.objects.create(number=3, title="Shame", body="<p>Body.</p>")

    _, text, html = sending.render_issue(issue)

    url = settings.SITE_URL + reverse("coaching")
    assert f"Coaching and mentoring for therapists: {url}" in text
    assert f'<a href="{url}"' in html


def test_the_newsletter_welcome_links_the_coaching_page(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    reader = Subscriber.objects.create(email="r@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert subscriptions.confirm_subscriber(subscriber=reader)

    [welcome] = mailoutbox
    url = settings.SITE_URL + reverse("coaching")
    assert url in welcome.body
    assert f'href="{url}"' in welcome.alternatives[0][0]


# The textbook ----------------------------------------------------------------------------------


def test_the_course_page_links_the_textbook_staff_set(client):
    course = factories.make_course(textbook_title="How Therapy Works", textbook_url=BOOK)

    html = client.get(course.get_absolute_url()).content.decode()

    assert f'<a href="{BOOK}" rel="noopener">How Therapy Works</a>' in html
    assert "sold separately" in html


def test_without_a_link_the_course_page_shows_none(client):
    course = factories.make_course(textbook_title="How Therapy Works")

    html = client.get(course.get_absolute_url()).content.decode()

    assert "sold separately" not in html
    assert 'class="textbook"' not in html


def test_the_faq_links_each_textbook_once(client):
    factories.make_course(textbook_title="How Therapy Works", textbook_url=BOOK)
    factories.make_course(textbook_title="How Therapy Works", textbook_url=BOOK)
    factories.make_course()  # no link

    html = client.get(reverse("home")).content.decode()
    faq = html.split('id="faq-title"')[1]

    assert faq.count(f'href="{BOOK}"') == 1
    assert "sold separately" in faq


def test_without_any_link_the_faq_shows_none(client):
    factories.make_course()

    html = client.get(reverse("home")).content.decode()

    assert "sold separately" not in html


def test_staff_set_the_link_in_the_course_admin(client_for, staff):
    course = factories.make_course()
    url = reverse("admin:courses_course_change", args=[course.pk])
    client = client_for(staff)
    page = client.get(url).content.decode()
    assert 'name="textbook_url"' in page and 'name="textbook_title"' in page

    response = client.post(
        url,
        {
            "number": course.number,
            "title": course.title,
            "slug": course.slug,
            "order": course.order,
            "textbook_title": "The book",
            "textbook_url": BOOK,
            "lessons-TOTAL_FORMS": "0",
            "lessons-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    course.refresh_from_db()
    assert (course.textbook_title, course.textbook_url) == ("The book", BOOK)


@pytest.mark.parametrize("url", ["http://books.example/x", "javascript:alert(1)", "not a url"])
def test_only_an_https_address_is_accepted_as_the_textbook_link(url):
    course = factories.make_course(textbook_url=url)

    with pytest.raises(ValidationError) as error:
        course.full_clean()

    assert "textbook_url" in error.value.message_dict


def test_the_coaching_page_needs_no_query_for_a_visitor(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("coaching")).status_code == 200
