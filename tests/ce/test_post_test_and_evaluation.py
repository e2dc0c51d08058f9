"""The post-test (best attempt kept, retakes, random order) and the evaluation gate."""

import pytest

from ce.models import Certificate, EvaluationAnswer, EvaluationResponse, PostTestResult
from ce.services import build_transcript
from tests.ce.conftest import answers, attend, finish_lessons, watch

pytestmark = pytest.mark.django_db


def url(ce, page: str) -> str:
    return f"/ce/{ce.credit.course.slug}/{page}/"


def test_a_failed_attempt_is_kept_and_home_study_does_not_count(ce, learner, client_for):
    client = client_for(learner)
    response = client.post(url(ce, "post-test"), answers(ce.wrong), follow=True)

    assert "You scored 0%. The pass mark is 75%." in response.content.decode()
    result = PostTestResult.objects.get(user=learner)
    assert (result.best_percent, result.passed_at, result.attempts) == (0, None, 1)


def test_a_retake_keeps_the_best_attempt_and_its_date(ce, learner, client_for):
    client = client_for(learner)
    client.post(url(ce, "post-test"), answers(ce.right))
    best = PostTestResult.objects.get(user=learner)
    client.post(url(ce, "post-test"), answers(ce.wrong))

    result = PostTestResult.objects.get(user=learner)
    assert result.best_percent == 100
    assert result.best_at == best.best_at
    assert result.passed_at == best.passed_at is not None
    assert result.attempts == 2


def test_three_of_four_right_passes_at_75_percent(ce, learner, client_for):
    mixed = dict(ce.right)
    first = next(iter(mixed))
    mixed[first] = ce.wrong[first]
    client_for(learner).post(url(ce, "post-test"), answers(mixed))

    assert PostTestResult.objects.get(user=learner).best_percent == 75
    assert build_transcript(user=learner, course=ce.credit.course).test_passed


def test_an_unanswered_question_is_an_error_next_to_it_and_no_attempt(ce, learner, client_for):
    partial = dict(list(answers(ce.right).items())[:3])
    response = client_for(learner).post(url(ce, "post-test"), partial)

    assert response.status_code == 200
    assert "Choose an answer." in response.content.decode()
    assert not PostTestResult.objects.exists()


def test_a_choice_of_another_question_is_refused(ce, learner, client_for):
    (q1, c1), (q2, c2), *rest = ce.right.items()
    swapped = {q1: c2, q2: c1, **dict(rest)}
    response = client_for(learner).post(url(ce, "post-test"), answers(swapped))

    assert response.status_code == 200
    assert not PostTestResult.objects.exists()


def test_questions_come_in_random_order(ce, learner, client_for):
    client = client_for(learner)
    orders = set()
    for _ in range(12):
        page = client.get(url(ce, "post-test")).content.decode()
        orders.add(tuple(sorted(range(4), key=lambda n: page.index(f"Question {n}?"))))

    assert len(orders) > 1


def test_the_evaluation_is_required_before_the_certificate(ce, learner, client_for):
    client = client_for(learner)
    finish_lessons(learner, ce.lessons)
    attend(learner, ce.sessions[0])
    watch(learner, ce.sessions[1])
    client.post(url(ce, "post-test"), answers(ce.right))

    name = {"name": "Lee Learner"}
    refused = client.post(url(ce, "certificate"), name, follow=True).content.decode()
    assert "Fill in the course evaluation." in refused
    assert not Certificate.objects.exists()

    client.post(url(ce, "evaluation"), {f"e{ce.scale.pk}": "5", f"e{ce.free_text.pk}": "More."})
    response = client.post(url(ce, "certificate"), name)

    certificate = Certificate.objects.get(user=learner)
    assert response["Location"] == certificate.get_absolute_url()


def test_an_evaluation_is_stored_once(ce, learner, client_for):
    client = client_for(learner)
    client.post(url(ce, "evaluation"), {f"e{ce.scale.pk}": "5"})
    client.post(url(ce, "evaluation"), {f"e{ce.scale.pk}": "1"})

    assert EvaluationResponse.objects.get().cohort == learner.enrollments.get().cohort
    assert list(EvaluationAnswer.objects.values_list("rating", flat=True)) == [5]


@pytest.mark.parametrize("rating", ["0", "6", "x", "", "9" * 40])
def test_a_rating_out_of_range_is_an_error_not_an_answer(ce, learner, client_for, rating):
    response = client_for(learner).post(url(ce, "evaluation"), {f"e{ce.scale.pk}": rating})

    assert response.status_code == 200
    assert not EvaluationResponse.objects.exists()


def test_the_completion_rule_needs_every_lesson_and_the_groups(ce, learner):
    finish_lessons(learner, ce.lessons[:1])
    attend(learner, ce.sessions[0])
    t = build_transcript(user=learner, course=ce.credit.course)
    assert not t.completion_met
    assert "Finish every material of 1 more lesson." in t.missing
    assert "Attend live or watch the recording of 1 more Friday group." in t.missing

    finish_lessons(learner, ce.lessons)
    watch(learner, ce.sessions[1])
    assert build_transcript(user=learner, course=ce.credit.course).completion_met


def test_recordings_do_not_count_toward_the_groups_when_the_rule_says_live(ce, learner):
    ce.credit.recordings_count = False
    ce.credit.save()
    finish_lessons(learner, ce.lessons)
    attend(learner, ce.sessions[0])
    watch(learner, ce.sessions[1])

    t = build_transcript(user=learner, course=ce.credit.course)
    assert not t.completion_met
    assert "Attend live 1 more Friday group." in t.missing


def test_the_learner_marks_a_recording_watched_from_the_transcript(ce, learner, client_for):
    client = client_for(learner)
    page = client.get(url(ce, "")[:-1]).content.decode()
    assert "I watched this recording" in page

    client.post(url(ce, f"recordings/{ce.sessions[2].pk}/watched"))

    t = build_transcript(user=learner, course=ce.credit.course)
    assert [line.what for line in t.lines] == ["Recording of the Friday group: Group 3"]


def test_a_recording_of_another_run_cannot_be_marked(ce, learner, other_learner, client_for):
    response = client_for(other_learner).post(url(ce, f"recordings/{ce.sessions[2].pk}/watched"))

    assert response.status_code == 404
