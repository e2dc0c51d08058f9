"""Demo CE content for `manage.py seed_demo`: credit, hours, a post-test and an evaluation for
each trimester. Idempotent. The demo learner (trimester 1) has finished two lessons and
attended three Friday groups, so their transcript shows hours and what is still missing."""

from decimal import Decimal

from django.core.management.base import OutputWrapper

from ce.models import (
    CourseCredit,
    EvaluationQuestion,
    LessonHours,
    PostTest,
    PostTestChoice,
    PostTestQuestion,
)
from courses.models import Course
from lessons.models import Lesson

STATEMENT = (
    "How Therapy Works is approved by the Demo Board of Psychology to sponsor continuing "
    "education for psychologists. How Therapy Works maintains responsibility for this "
    "program and its content. (Demo text: not a real approval.)"
)
QUESTIONS = [
    (
        "In the Affect Avoidance Model, what keeps a maladaptive pattern going?",
        ["Avoiding a feared emotion", "A lack of insight", "Poor motivation"],
    ),
    (
        "A recorded Friday group you watched counts as…",
        ["Home-study hours", "Live hours", "No hours"],
    ),
    (
        "Which comes first in a formulation?",
        ["What the client avoids feeling", "A diagnosis code", "The treatment plan"],
    ),
    (
        "When one pattern covers another, the covering pattern…",
        ["Protects against a more painful one", "Is always the main problem", "Disappears alone"],
    ),
]
EVALUATION = [
    ("The content matched the stated learning objectives.", "scale"),
    ("The instructor was knowledgeable and clear.", "scale"),
    ("The material will be useful in my practice.", "scale"),
    ("What would you change?", "text"),
]


def seed(stdout: OutputWrapper) -> None:
    for course in Course.objects.all():
        _credit, created = CourseCredit.objects.get_or_create(
            course=course,
            defaults={
                "approving_body": "Demo Board of Psychology",
                "provider_number": "DEMO-0001",
                "sponsor_statement": STATEMENT,
                "min_live_groups": 6,
                "recordings_count": True,
            },
        )
        if not created:
            continue
        for lesson in Lesson.objects.filter(course=course):
            LessonHours.objects.get_or_create(
                lesson=lesson,
                defaults={
                    "chapter": Decimal("1.00"),
                    "video": Decimal("0.25"),
                    "podcast": Decimal("0.75"),
                },
            )
        post_test = PostTest.objects.create(course=course, pass_percent=75)
        for order, (text, choices) in enumerate(QUESTIONS, start=1):
            question = PostTestQuestion.objects.create(post_test=post_test, text=text, order=order)
            for n, choice in enumerate(choices):
                PostTestChoice.objects.create(question=question, text=choice, is_correct=n == 0)
        for order, (text, kind) in enumerate(EVALUATION, start=1):
            EvaluationQuestion.objects.create(
                course=course, text=text, kind=kind, order=order, required=kind == "scale"
            )
    stdout.write(
        f"CE: credit, hours, post-test and evaluation for {Course.objects.count()} courses"
    )
