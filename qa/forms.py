from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms

from courses.models import Course
from lessons.models import Lesson
from lib.identifiers import find_identifiers, summary
from qa.models import Question, Reply

if TYPE_CHECKING:
    from accounts.models import User


class LessonChoiceField(forms.ModelChoiceField[Lesson]):
    def label_from_instance(self, obj: Lesson) -> str:
        return f"{obj.course.title} — {obj.title}"


class IdentifierCheckMixin:
    """Flags likely identifiers once; the learner may then send anyway. Nothing is lost."""

    checked_fields: tuple[str, ...] = ()

    def check_identifiers(self, cleaned: dict[str, Any]) -> None:
        text = "\n".join(cleaned.get(name) or "" for name in self.checked_fields)
        findings = find_identifiers(text)
        if findings and not cleaned.get("send_anyway"):
            self.identifier_summary = summary(findings)
            self.fields["send_anyway"].widget = forms.CheckboxInput()  # type: ignore[attr-defined]
            raise forms.ValidationError(
                self.identifier_summary
                + " Please check it, edit if needed, and tick “Send anyway” to send.",
                code="identifiers",
            )


class AskForm(IdentifierCheckMixin, forms.ModelForm[Question]):
    checked_fields = ("title", "text")

    lesson = LessonChoiceField(
        queryset=None, required=False, empty_label="No particular lesson", label="Lesson"
    )
    send_anyway = forms.BooleanField(
        required=False,
        label="Send anyway: I have checked it and it does not identify a client",
        widget=forms.HiddenInput(),
    )

    class Meta:
        model = Question
        fields = ["title", "text", "course", "lesson", "consent_to_publish"]
        labels = {
            "title": "Your question in a line",
            "text": "Your question",
            "course": "Trimester",
            "consent_to_publish": "The instructor may publish a de-identified version of my "
            "question and the answer in the Q&A Video Library",
        }
        help_texts = {
            "text": "Plain text; links become clickable. Leave out anything that could "
            "identify a client.",
            "consent_to_publish": "Optional. Your name is never shown; the instructor rewrites "
            "the question before anything is published.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args: Any, user: User | object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        courses = Course.objects.accessible_to(user)
        # A ForeignKey's form field.
        course_field = cast("forms.ModelChoiceField[Course]", self.fields["course"])
        course_field.queryset = courses
        course_field.empty_label = "No particular trimester"
        course_field.required = False
        cast(LessonChoiceField, self.fields["lesson"]).queryset = (
            Lesson.objects.filter(course__in=courses)
            .select_related("course")
            .order_by("course__order", "order")
        )
        self.identifier_summary = ""

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        lesson = cleaned.get("lesson")
        if lesson is not None:
            cleaned["course"] = lesson.course
        self.check_identifiers(cleaned)
        return cleaned


class ReplyForm(IdentifierCheckMixin, forms.ModelForm[Reply]):
    checked_fields = ("text",)

    send_anyway = forms.BooleanField(
        required=False,
        label="Send anyway: I have checked it and it does not identify a client",
        widget=forms.HiddenInput(),
    )

    class Meta:
        model = Reply
        fields = ["text"]
        labels = {"text": "Your reply"}
        help_texts = {"text": "Plain text; links become clickable."}
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, check_identifiers: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.identifier_summary = ""
        self.run_identifier_check = check_identifiers

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        if self.run_identifier_check:
            self.check_identifiers(cleaned)
        return cleaned


class LibrarySearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search the library")
    topic = forms.SlugField(required=False)
    lesson = forms.IntegerField(required=False, min_value=1)
