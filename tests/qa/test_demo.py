import io

import pytest
from django.core.management import call_command

from qa.models import LibraryEntry, Question, Topic

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_loads_qa(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    counts = (Question.objects.count(), LibraryEntry.objects.count(), Topic.objects.count())
    call_command("seed_demo", stdout=io.StringIO())

    assert counts == (Question.objects.count(), LibraryEntry.objects.count(), Topic.objects.count())
    assert counts[0] >= 2 and counts[1] >= 3
    learner_questions = Question.objects.filter(asker__email="learner@demo.test")
    assert learner_questions.filter(status="waiting").exists()
    published_from = learner_questions.filter(
        library_entry__status="published", consent_to_publish=True
    )
    assert published_from.exists()
