import io

import pytest
from django.core.management import call_command

from accounts.models import User
from ce.models import CourseCredit, EvaluationQuestion, LessonHours, PostTestQuestion

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_trimester_ce_credit_and_the_learner_a_transcript(
    settings, client_for
):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    counts = [m.objects.count() for m in (CourseCredit, LessonHours, PostTestQuestion)]
    call_command("seed_demo", stdout=io.StringIO())

    assert counts == [m.objects.count() for m in (CourseCredit, LessonHours, PostTestQuestion)]
    assert counts[0] == 3 and counts[2] == 12
    assert EvaluationQuestion.objects.filter(kind="text").count() == 3
    learner = User.objects.get(email="learner@demo.test")
    page = client_for(learner).get("/ce/how-therapy-works/").content.decode()
    assert "Friday group:" in page  # attended groups are live hours
    assert "Take the post-test" in page
