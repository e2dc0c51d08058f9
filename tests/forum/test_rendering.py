"""Stored XSS: whatever a member types in a title, a post or a quote reaches pages and emails
only as escaped text or allowlisted HTML."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from forum import rendering
from forum.models import Post, Topic

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1)  )",
    "![x](javascript:alert(1))",
    '![x](https://evil.example/pixel.png "t" onerror=alert(1))',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    "<iframe src='https://evil.example'></iframe>",
    '"><script>alert(1)</script>',
    "<a href='vbscript:msgbox(1)'>x</a>",
    "[x](javascript&#58;alert(1))",
    "<details open ontoggle=alert(1)>",
    "```\n<script>alert(1)</script>\n```",
]

BAD_TAGS = {"script", "iframe", "svg", "img", "details", "style", "object", "embed"}


class ElementAudit(HTMLParser):
    """Collects what a browser would treat as markup (escaped text is harmless)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in BAD_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"{tag}[{name}]")
            if name in {"href", "src", "action", "formaction"}:
                url = (value or "").strip().lower()
                if not url.startswith(("http://", "https://", "mailto:", "/", "#", "?")):
                    self.problems.append(f"{tag}[{name}={value}]")


def assert_safe(html: str) -> None:
    audit = ElementAudit()
    audit.feed(html)
    audit.close()
    assert audit.problems == [], html


def test_the_audit_itself_catches_script_and_handlers():
    for bad in ["<script>x</script>", '<a href="javascript:x">', '<p onclick="x">', "<img src=x>"]:
        with pytest.raises(AssertionError):
            assert_safe(bad)
    assert_safe("<p>&lt;script&gt;alert(1)&lt;/script&gt; onerror=</p>")


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("fmt", ["markdown", "plain"])
def test_rendered_bodies_carry_no_script(payload, fmt):
    assert_safe(rendering.render_body(payload, fmt, handles=["dana"]))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_output_filter_cleans_stored_html_again(payload):
    # A row written by something other than the service (an import, an older version).
    assert_safe(rendering.post_html(payload))


def test_markdown_still_renders_safe_markup():
    html = rendering.render_body(
        "# Title\n\n**b** *i* [site](https://example.org)\n\n> quoted\n\n- a\n- b\n\n`code`",
        "markdown",
    )
    assert "<h3>Title</h3>" in html
    assert "<strong>b</strong>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow ugc"' in html
    assert "<blockquote>" in html
    assert "<li>a</li>" in html
    assert "<code>code</code>" in html


def test_mentions_become_spans_only_for_known_handles_and_not_in_code():
    html = rendering.render_body(
        "hi @dana and @nobody, `@dana` in code", "markdown", handles=["dana"]
    )
    assert '<span class="mention">@dana</span>' in html
    assert "@nobody" in html
    assert '<span class="mention">@nobody</span>' not in html
    assert "<code>@dana</code>" in html


def test_email_addresses_are_not_mentions():
    assert rendering.find_mentions("write to pat@dana.org or @dana") == ["dana"]


def _page_after_posting(client_for, learner, category, payload):
    c = client_for(learner)
    c.post(
        reverse("forum:new_topic", args=[category.slug]),
        {"title": payload, "body": payload, "format": "markdown", "post_anyway": "on"},
    )
    topic = Topic.objects.latest("id")
    return c, topic


@pytest.mark.parametrize("payload", PAYLOADS)
def test_topic_titles_and_bodies_are_safe_on_every_page(client_for, learner, category, payload):
    c, topic = _page_after_posting(client_for, learner, category, payload)
    pages = [
        c.get(topic.get_absolute_url()),
        c.get(reverse("forum:category", args=[category.slug])),
        c.get(reverse("forum:index")),
        c.get(reverse("forum:search") + "?q=alert"),
        c.get(reverse("forum:settings")),
        c.get(reverse("forum:quote", args=[topic.first_post_id])),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        # The site's own markup has script tags (site.js), so look only at forum content.
        main = html[html.index('<main id="main"') :]
        main = main[: main.index("</main>")]
        main = re.sub(r"<textarea[^>]*>.*?</textarea>", "", main, flags=re.S)
        main = re.sub(r'<script src="/static/[^"]+" defer></script>', "", main)
        assert_safe(main)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_quoting_a_malicious_post_is_safe(client_for, learner, second_learner, category, payload):
    _, topic = _page_after_posting(client_for, learner, category, payload)
    c = client_for(second_learner)
    quote = (
        c.get(reverse("forum:quote", args=[topic.first_post_id])).context["form"].initial["body"]
    )
    c.post(
        reverse("forum:reply", args=[topic.pk]),
        {"body": quote, "format": "markdown", "post_anyway": "on"},
    )
    reply = Post.objects.latest("id")
    assert reply.author == second_learner
    assert "<blockquote>" in reply.html
    assert_safe(reply.html)
    html = c.get(reverse("forum:post", args=[reply.pk]), follow=True).content.decode()
    main = html[html.index('<main id="main"') : html.index("</main>")]
    main = re.sub(r"<textarea[^>]*>.*?</textarea>", "", main, flags=re.S)
    main = re.sub(r'<script src="/static/[^"]+" defer></script>', "", main)
    assert_safe(main)


def test_a_malicious_display_name_in_a_quote_attribution_is_safe(
    client_for, learner, second_learner, topic
):
    learner.display_name = "<img src=x onerror=alert(1)>"
    learner.save()
    c = client_for(second_learner)
    quote = (
        c.get(reverse("forum:quote", args=[topic.first_post_id])).context["form"].initial["body"]
    )
    c.post(reverse("forum:reply", args=[topic.pk]), {"body": quote, "format": "markdown"})
    assert_safe(Post.objects.latest("id").html)
