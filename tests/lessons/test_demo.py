"""The demo program: every lesson of the design, filled in; loading it twice changes nothing."""

import io

import pytest
from django.core.files.storage import default_storage

from accounts import demo as accounts_demo
from courses import demo as courses_demo
from courses.models import Cohort, Course, Enrollment, FaqItem
from lessons import demo as lessons_demo
from lessons.models import Lesson, Progress

pytestmark = pytest.mark.django_db


def seed_all() -> None:
    out = io.StringIO()
    for module in (accounts_demo, courses_demo, lessons_demo):
        module.seed(out)


def test_demo_program_is_complete_and_idempotent():
    seed_all()
    counts = (Course.objects.count(), Cohort.objects.count(), Lesson.objects.count())
    seed_all()

    assert counts == (3, 3, 21)
    assert (Course.objects.count(), Cohort.objects.count(), Lesson.objects.count()) == counts
    assert (
        list(
            Lesson.objects.filter(course__number=2)
            .order_by("order")
            .values_list("title", flat=True)
        )
        == lessons_demo.LESSONS[2]
    )
    assert Cohort.objects.open_for_enrolment().count() == 3
    assert Lesson.objects.filter(free_preview=True).count() == 2
    for lesson in Lesson.objects.all():
        assert lesson.material_count == 3
        assert "<h2>" in lesson.chapter and lesson.podcast_transcript
        assert lesson.video_embed_url
    assert default_storage.exists(lessons_demo.AUDIO_NAME)
    assert FaqItem.objects.count() == len(courses_demo.FAQ)


def test_demo_learner_is_enrolled_in_trimester_one_only():
    seed_all()

    learner = accounts_demo.demo_user("learner@demo.test")
    newcomer = accounts_demo.demo_user("newcomer@demo.test")
    numbers = set(Course.objects.accessible_to(learner).values_list("number", flat=True))
    assert numbers == {1}
    assert not Enrollment.objects.filter(user=newcomer).exists()
    assert Progress.objects.filter(user=learner).count() == 2


def test_demo_audio_is_a_valid_wav():
    import wave

    with wave.open(io.BytesIO(lessons_demo.demo_audio())) as audio:
        assert audio.getnframes() / audio.getframerate() == lessons_demo.AUDIO_SECONDS
