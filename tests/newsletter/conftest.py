import pytest

from newsletter.models import Issue, Subscriber


@pytest.fixture
def make_reader(db):
    def make(email: str, status: str = Subscriber.Status.CONFIRMED, **fields) -> Subscriber:
        return Subscriber.objects.create(email=email, status=status, **fields)

    return make


@pytest.fixture
def make_issue(db):
    def make(number: int = 1, **fields) -> Issue:
        fields.setdefault("title", f"Issue {number}")
        fields.setdefault(
            "body",
            f"<p>Body of issue {number} with <a href='https://example.com/x'>a link</a>.</p>",
        )
        return Issue.objects.create(number=number, **fields)

    return make


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test."""
    from django.core.cache import cache

    cache.clear()
