"""Many "Get my certificate" clicks at once, with real threads on PostgreSQL: one certificate."""

import pytest

from ce import services
from ce.models import Certificate
from tests.ce.conftest import all_done
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_requests_issue_one_certificate(ce, learner, client_for):
    all_done(client_for(learner), learner, ce)
    course = ce.credit.course

    results = run_together(
        [
            lambda n=n: services.issue_certificate(
                user=learner, course=course, name=f"Lee {n}", credentials=""
            )
            for n in range(6)
        ]
    )

    assert all(isinstance(r, Certificate) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Certificate.objects.count() == 1
